//! Back-office pages: the shared layout and user administration.

use super::api::{
    ChangeRole, CreateUser, DeleteUser, EndUserSessions, SendPasswordReset, SetUserDisabled,
    fetch_manage_access, fetch_user, list_users,
};
use super::{ManageAccess, UserDetail, UserList};
use crate::accounts::Role;
use crate::accounts::pages::signed_in_or_error;
use crate::components::{ErrorPanel, Field, FormFeedback, Submit};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Outlet;
use leptos_router::hooks::{use_params_map, use_query_map};

/// The record number in a back-office page's address (`/manage/…/{id}`); 0, which no record has,
/// when it is not a number.
pub fn record_id() -> Signal<Option<i64>> {
    let params = use_params_map();
    Signal::derive(move || {
        Some(
            params
                .read()
                .get("id")
                .and_then(|id| id.parse::<i64>().ok())
                .unwrap_or(0),
        )
    })
}

/// Every `/manage` page sits in this layout, which only staff can open.
#[component]
pub fn ManageLayout() -> impl IntoView {
    let access = Resource::new(|| (), |()| fetch_manage_access());
    view! {
        <Suspense fallback=|| view! { <p class="p-8 text-stone-600">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match access.await {
                    Ok(access) => view! { <Layout access /> }.into_any(),
                    Err(error) => signed_in_or_error(error),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Layout(access: ManageAccess) -> impl IntoView {
    provide_context(access.clone());
    view! {
        <div class="mx-auto flex max-w-6xl flex-col gap-6 px-4 py-8 md:flex-row">
            <nav aria-label="Back office" class="md:w-48">
                <p class="text-sm text-stone-600">
                    <span>{access.display_name.clone()}</span>
                    <span>" · "</span>
                    <span>{access.role.label()}</span>
                </p>
                <ul class="mt-3 space-y-1">
                    <li><a class="block rounded px-2 py-1 font-medium hover:bg-stone-100" href="/manage">"Overview"</a></li>
                    {access.nav.iter().map(|item| view! {
                        <li><a class="block rounded px-2 py-1 font-medium hover:bg-stone-100" href=item.href.clone()>{item.label.clone()}</a></li>
                    }).collect_view()}
                </ul>
            </nav>
            <div class="min-w-0 flex-1">
                <Outlet />
            </div>
        </div>
    }
}

/// `/manage`: what this role may do.
#[component]
pub fn ManageHome() -> impl IntoView {
    let access = expect_context::<ManageAccess>();
    view! {
        <Title text="Back office" />
        <h1 class="text-3xl font-semibold text-stone-900">"Back office"</h1>
        <p class="mt-2 text-stone-700">"Your role allows:"</p>
        <ul class="mt-2 list-disc pl-6 text-stone-900" aria-label="Your permissions">
            {access.permissions.iter().map(|p| view! { <li>{format!("{} {}", p.1.name(), p.0.name())}</li> }).collect_view()}
        </ul>
    }
}

fn role_options(selected: Role) -> impl IntoView {
    Role::ALL
        .into_iter()
        .map(|role| view! { <option value=role.name() selected=role == selected>{role.label()}</option> })
        .collect_view()
}

/// `/manage/users`: find users and create staff accounts.
#[component]
pub fn UsersPage() -> impl IntoView {
    let query = use_query_map();
    let q = move || query.read().get("q");
    let before = move || {
        query
            .read()
            .get("before")
            .and_then(|b| b.parse::<i64>().ok())
    };
    let create = ServerAction::<CreateUser>::new();
    let users = Resource::new(move || (q(), before()), |(q, before)| list_users(q, before));
    view! {
        <Title text="Users" />
        <h1 class="text-3xl font-semibold text-stone-900">"Users"</h1>
        <form method="get" action="/manage/users" role="search" aria-label="Search users" class="mt-4 flex gap-2">
            <label for="user-search" class="sr-only">"Search users"</label>
            <input id="user-search" name="q" type="search" value=q placeholder="Email or name"
                class="w-full max-w-sm rounded-md border border-stone-300 px-3 py-2" />
            <button type="submit" class="rounded-md bg-stone-900 px-4 py-2 font-medium text-white hover:bg-stone-700">"Search"</button>
        </form>
        <Transition fallback=|| view! { <p class="py-4 text-stone-600">"Loading users…"</p> }>
            {move || Suspend::new(async move {
                match users.await {
                    Ok(list) => view! { <UserTable list q=q() /> }.into_any(),
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Transition>
        <section class="mt-10 max-w-md border-t border-stone-200 pt-6" aria-labelledby="new-user">
            <h2 id="new-user" class="text-xl font-semibold text-stone-900">"Create an account"</h2>
            <p class="mt-1 text-sm text-stone-700">"The new user gets an email with a link to choose their password."</p>
            <ActionForm action=create attr:aria-label="Create an account">
                <Field label="Name" name="display_name" />
                <Field label="Email" name="email" kind="email" />
                <div class="mt-4">
                    <label for="new-user-role" class="block text-sm font-medium text-stone-900">"Role"</label>
                    <select id="new-user-role" name="role" class="mt-1 rounded-md border border-stone-300 px-3 py-2">{role_options(Role::Support)}</select>
                </div>
                <Field label="Your password" name="current_password" kind="password" autocomplete="current-password"
                    hint="Handing out an account takes your own password again." />
                <Submit label="Create account" />
            </ActionForm>
            <FormFeedback action=create />
        </section>
    }
}

#[component]
fn UserTable(list: UserList, q: Option<String>) -> impl IntoView {
    let next = list.next.map(|before| {
        let mut params = vec![("before".to_owned(), before.to_string())];
        params.extend(q.map(|q| ("q".to_owned(), q)));
        format!(
            "/manage/users{}",
            leptos_router::params::ParamsMap::from_iter(params).to_query_string()
        )
    });
    view! {
        {list.users.is_empty().then(|| view! { <p class="mt-6 text-stone-700">"No users match."</p> })}
        <table class="mt-6 w-full text-left text-sm">
            <thead class="border-b border-stone-300 text-stone-600">
                <tr><th scope="col" class="py-2">"Name"</th><th scope="col">"Email"</th><th scope="col">"Role"</th><th scope="col">"Status"</th><th scope="col">"Since"</th></tr>
            </thead>
            <tbody class="divide-y divide-stone-200">
                {list.users.into_iter().map(|user| view! {
                    <tr data-testid="user-row">
                        // A full page load: the user page is rendered whole on the server, and a client-side
                        // navigation from a filtered list could stall before it committed.
                        <td class="py-2"><a class="font-medium underline" rel="external" href=format!("/manage/users/{}", user.id)>{user.display_name.clone()}</a></td>
                        <td>{user.email.clone()}</td>
                        <td>{user.role.label()}</td>
                        <td>{if user.disabled { "Disabled" } else { "Active" }}</td>
                        <td>{user.created_at.clone()}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
        {next.map(|href| view! { <a class="mt-4 inline-block underline" href=href>"Next page"</a> })}
    }
}

/// The admin's own password, asked again by the actions that hand out or take away an account.
#[component]
fn ConfirmPassword(id: &'static str) -> impl IntoView {
    view! {
        <div>
            <label for=id class="block text-sm font-medium">"Your password"</label>
            <input id=id name="current_password" type="password" autocomplete="current-password" required
                class="mt-1 w-44 rounded-md border border-stone-300 px-3 py-2" />
        </div>
    }
}

#[derive(Clone, Copy)]
struct UserActions {
    role: ServerAction<ChangeRole>,
    disabled: ServerAction<SetUserDisabled>,
    delete: ServerAction<DeleteUser>,
    reset: ServerAction<SendPasswordReset>,
    sessions: ServerAction<EndUserSessions>,
}

/// `/manage/users/{id}`
#[component]
pub fn UserPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || {
        params
            .read()
            .get("id")
            .and_then(|id| id.parse::<i64>().ok())
            .unwrap_or(0)
    };
    let actions = UserActions {
        role: ServerAction::new(),
        disabled: ServerAction::new(),
        delete: ServerAction::new(),
        reset: ServerAction::new(),
        sessions: ServerAction::new(),
    };
    let user = Resource::new(id, fetch_user);
    view! {
        <Transition fallback=|| view! { <p class="py-4 text-stone-600">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match user.await {
                    Ok(detail) => view! { <UserDetailView detail actions /> }.into_any(),
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn UserDetailView(detail: UserDetail, actions: UserActions) -> impl IntoView {
    let user = detail.user.clone();
    let editable = !detail.is_self;
    view! {
        <Title text=format!("User: {}", user.display_name) />
        <a class="text-sm underline" href="/manage/users">"All users"</a>
        <h1 class="mt-2 text-3xl font-semibold text-stone-900">{user.display_name.clone()}</h1>
        <dl class="mt-4 grid grid-cols-[8rem_1fr] gap-y-1 text-sm">
            <dt class="text-stone-600">"Email"</dt><dd>{user.email.clone()} {if detail.email_verified { " (confirmed)" } else { " (not confirmed)" }}</dd>
            <dt class="text-stone-600">"Role"</dt><dd data-testid="user-role">{user.role.label()}</dd>
            <dt class="text-stone-600">"Status"</dt><dd data-testid="user-status">{if user.disabled { "Disabled" } else { "Active" }}</dd>
            <dt class="text-stone-600">"Since"</dt><dd>{user.created_at.clone()}</dd>
        </dl>
        {(!editable).then(|| view! { <p class="mt-4 text-sm text-stone-700">"This is your own account: another admin can change its role or status."</p> })}
        {editable.then(|| view! {
            <div class="mt-6 flex flex-wrap items-end gap-4">
                <ActionForm action=actions.role attr:class="flex items-end gap-2" attr:aria-label="Change role">
                    <input type="hidden" name="user_id" value=user.id />
                    <div>
                        <label for="user-role" class="block text-sm font-medium">"Role"</label>
                        <select id="user-role" name="role" class="mt-1 rounded-md border border-stone-300 px-3 py-2">{role_options(user.role)}</select>
                    </div>
                    <ConfirmPassword id="role-password" />
                    <button type="submit" class="rounded-md border border-stone-300 px-3 py-2 text-sm hover:bg-stone-100">"Change role"</button>
                </ActionForm>
                <ActionForm action=actions.disabled>
                    <input type="hidden" name="user_id" value=user.id />
                    <input type="hidden" name="disabled" value=(!user.disabled).to_string() />
                    <button type="submit" class="rounded-md border border-stone-300 px-3 py-2 text-sm hover:bg-stone-100">
                        {if user.disabled { "Enable account" } else { "Disable account" }}
                    </button>
                </ActionForm>
                <ActionForm action=actions.reset>
                    <input type="hidden" name="user_id" value=user.id />
                    <button type="submit" class="rounded-md border border-stone-300 px-3 py-2 text-sm hover:bg-stone-100">"Send password reset"</button>
                </ActionForm>
                <ActionForm action=actions.delete attr:class="flex items-end gap-2" attr:aria-label="Delete account">
                    <input type="hidden" name="user_id" value=user.id />
                    <ConfirmPassword id="delete-password" />
                    <button type="submit" class="rounded-md border border-red-300 px-3 py-2 text-sm text-red-900 hover:bg-red-50">"Delete account"</button>
                </ActionForm>
            </div>
        })}
        <FormFeedback action=actions.role success="Role changed; the user's sessions were ended." />
        <FormFeedback action=actions.disabled success="Account status changed." />
        <FormFeedback action=actions.reset success="A password reset link was sent." />
        <FormFeedback action=actions.delete />
        <FormFeedback action=actions.sessions success="Sessions ended." />

        <section class="mt-10" aria-labelledby="user-sessions">
            <h2 id="user-sessions" class="text-xl font-semibold">"Sessions"</h2>
            {detail.sessions.is_empty().then(|| view! { <p class="mt-2 text-stone-700">"Not signed in anywhere."</p> })}
            <ul class="mt-2 divide-y divide-stone-200">
                {detail.sessions.clone().into_iter().map(|session| view! {
                    <li class="flex items-center justify-between gap-3 py-2 text-sm" data-testid="user-session">
                        <span>{format!("{} · {} · last seen {}", session.device, session.ip, session.last_seen_at)}</span>
                        {editable.then(|| view! {
                            <ActionForm action=actions.sessions>
                                <input type="hidden" name="user_id" value=user.id />
                                <input type="hidden" name="handle" value=session.handle />
                                <button type="submit" class="underline">"End"</button>
                            </ActionForm>
                        })}
                    </li>
                }).collect_view()}
            </ul>
            {(editable && !detail.sessions.is_empty()).then(|| view! {
                <ActionForm action=actions.sessions attr:class="mt-2">
                    <input type="hidden" name="user_id" value=user.id />
                    <button type="submit" class="rounded-md border border-stone-300 px-3 py-2 text-sm hover:bg-stone-100">"End all sessions"</button>
                </ActionForm>
            })}
        </section>

        <section class="mt-10" aria-labelledby="user-audit">
            <h2 id="user-audit" class="text-xl font-semibold">"Audit log"</h2>
            {detail.audit.is_empty().then(|| view! { <p class="mt-2 text-stone-700">"Nothing recorded yet."</p> })}
            <ol class="mt-2 space-y-2 text-sm" aria-label="Audit log">
                {detail.audit.into_iter().map(|entry| view! {
                    <li data-testid="audit-entry">
                        <p><strong>{entry.action.clone()}</strong> <span>{format!(" by {} at {}", entry.actor, entry.at)}</span></p>
                        {entry.before.map(|b| view! { <p class="text-stone-600"><span>"Before: "</span><code>{b}</code></p> })}
                        {entry.after.map(|a| view! { <p class="text-stone-600"><span>"After: "</span><code>{a}</code></p> })}
                    </li>
                }).collect_view()}
            </ol>
        </section>
    }
}
