//! The account pages: sign-up, sign-in, forgotten and reset password, email confirmation, and the
//! account itself (profile, email, password, addresses, active sessions).

use super::AccountView;
use super::api::{
    AddAddress, ChangeEmail, ChangePassword, ConfirmEmail, DeleteAddress, EndOtherSessions,
    EndSession, MakeDefaultAddress, RequestPasswordReset, ResetPassword, SignIn, SignOut, SignUp,
    UpdateProfile, check_reset_link, fetch_account,
};
use crate::components::{ErrorPanel, Field, FormFeedback, Submit};
use crate::error::AppError;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Redirect;
use leptos_router::hooks::{use_location, use_params_map, use_query_map};

/// Sends a signed-out visitor to sign in, and back here afterwards.
#[component]
pub fn SignInFirst() -> impl IntoView {
    let location = use_location();
    let (path, search) = (
        location.pathname.get_untracked(),
        location.search.get_untracked(),
    );
    let here = if search.is_empty() {
        path
    } else {
        format!("{path}?{search}")
    };
    let query: String =
        leptos_router::params::ParamsMap::from_iter([("next".to_owned(), here)]).to_query_string();
    view! { <Redirect path=format!("/account/login{query}") /> }
}

/// A failed load: signing in where that would help, the error panel otherwise.
pub fn signed_in_or_error(error: AppError) -> AnyView {
    match error {
        AppError::Unauthorized => view! { <SignInFirst /> }.into_any(),
        error => view! { <ErrorPanel error /> }.into_any(),
    }
}

#[component]
fn Card(title: &'static str, children: Children) -> impl IntoView {
    view! {
        <Title text=title />
        <div class="mx-auto max-w-md px-4 py-12">
            <h1 class="text-3xl font-semibold text-stone-900">{title}</h1>
            {children()}
        </div>
    }
}

fn notice_text(notice: &str) -> Option<&'static str> {
    Some(match notice {
        "verify" => {
            "Thank you. We have sent a link to your email address: follow it to confirm the address and sign in."
        }
        "reset-sent" => {
            "If that address has an account, we have sent it a link to choose a new password. The link works for one hour."
        }
        "password-reset" => {
            "Your password was changed and every device was signed out. Sign in with your new password."
        }
        "verified" => "Your email address is confirmed. Welcome!",
        "confirmed" => "Your email address is confirmed. Sign in with your password.",
        "email-changed" => "Your new email address is confirmed.",
        "already-confirmed" => "That address was already confirmed. Sign in with your password.",
        _ => return None,
    })
}

#[component]
fn Notice() -> impl IntoView {
    let query = use_query_map();
    move || {
        query.read().get("notice").and_then(|n| notice_text(&n)).map(|text| {
            view! { <p role="status" class="mt-4 rounded-md border border-green-200 bg-green-50 px-3 py-2 text-sm text-green-900">{text}</p> }
        })
    }
}

const PASSWORD_HINT: &str =
    "At least 10 characters. A few unrelated words make a strong, memorable password.";

/// `/account/signup`
#[component]
pub fn SignUpPage() -> impl IntoView {
    let action = ServerAction::<SignUp>::new();
    view! {
        <Card title="Create an account">
            <p class="mt-2 text-stone-700">"Save the things you like, check out faster and follow your orders."</p>
            <ActionForm action attr:class="mt-2" attr:aria-label="Create an account">
                <Field label="Name" name="display_name" autocomplete="name" />
                <Field label="Email" name="email" kind="email" autocomplete="email" />
                <Field label="Password" name="password" kind="password" autocomplete="new-password" minlength=10 hint=PASSWORD_HINT />
                <Submit label="Create account" />
            </ActionForm>
            <FormFeedback action />
            <p class="mt-6 text-sm text-stone-700">"Already have an account? " <a class="font-medium underline" href="/account/login">"Sign in"</a></p>
        </Card>
    }
}

/// `/account/login`
#[component]
pub fn SignInPage() -> impl IntoView {
    let action = ServerAction::<SignIn>::new();
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_default();
    view! {
        <Card title="Sign in">
            <Notice />
            <ActionForm action attr:class="mt-2" attr:aria-label="Sign in">
                <input type="hidden" name="next" value=next />
                <Field label="Email" name="email" kind="email" autocomplete="username" />
                <Field label="Password" name="password" kind="password" autocomplete="current-password" />
                <Submit label="Sign in" />
            </ActionForm>
            <FormFeedback action />
            <p class="mt-6 text-sm text-stone-700"><a class="font-medium underline" href="/account/forgot">"Forgot your password?"</a></p>
            <p class="mt-2 text-sm text-stone-700">"New here? " <a class="font-medium underline" href="/account/signup">"Create an account"</a></p>
        </Card>
    }
}

/// `/account/forgot`
#[component]
pub fn ForgotPasswordPage() -> impl IntoView {
    let action = ServerAction::<RequestPasswordReset>::new();
    view! {
        <Card title="Forgot your password?">
            <p class="mt-2 text-stone-700">"Enter the email address of your account and we will send you a link to choose a new password."</p>
            <ActionForm action attr:aria-label="Request a password reset">
                <Field label="Email" name="email" kind="email" autocomplete="email" />
                <Submit label="Send the link" />
            </ActionForm>
            <FormFeedback action />
        </Card>
    }
}

/// `/account/reset/{token}`
#[component]
pub fn ResetPasswordPage() -> impl IntoView {
    let params = use_params_map();
    let token = move || params.read().get("token").unwrap_or_default();
    let valid = Resource::new(token, check_reset_link);
    let action = ServerAction::<ResetPassword>::new();
    view! {
        <Card title="Choose a new password">
            <Suspense fallback=|| view! { <p class="mt-4 text-stone-600">"Checking your link…"</p> }>
                {move || Suspend::new(async move {
                    match valid.await {
                        Ok(true) => view! {
                            <ActionForm action attr:aria-label="Choose a new password">
                                <input type="hidden" name="token" value=token />
                                <Field label="New password" name="password" kind="password" autocomplete="new-password" minlength=10 hint=PASSWORD_HINT />
                                <Submit label="Save the new password" />
                            </ActionForm>
                            <FormFeedback action />
                        }.into_any(),
                        Ok(false) => view! {
                            <p role="alert" class="mt-4 rounded-md border border-red-200 bg-red-50 px-3 py-2 text-red-900">
                                "This link has expired or was already used. "
                                <a class="font-medium underline" href="/account/forgot">"Ask for a new one"</a>
                            </p>
                        }.into_any(),
                        Err(error) => view! { <ErrorPanel error /> }.into_any(),
                    }
                })}
            </Suspense>
        </Card>
    }
}

/// `/account/verify/{token}`: a button, not an automatic change, so mail scanners that open
/// links do not use the token up.
#[component]
pub fn ConfirmEmailPage() -> impl IntoView {
    let params = use_params_map();
    let token = move || params.read().get("token").unwrap_or_default();
    let action = ServerAction::<ConfirmEmail>::new();
    view! {
        <Card title="Confirm your email address">
            <p class="mt-2 text-stone-700">"One click and your address is confirmed."</p>
            <ActionForm action attr:aria-label="Confirm your email address">
                <input type="hidden" name="token" value=token />
                <Submit label="Confirm my email address" />
            </ActionForm>
            <FormFeedback action />
        </Card>
    }
}

/// The account page's forms.
#[derive(Clone, Copy)]
struct AccountActions {
    profile: ServerAction<UpdateProfile>,
    email: ServerAction<ChangeEmail>,
    password: ServerAction<ChangePassword>,
    add_address: ServerAction<AddAddress>,
    delete_address: ServerAction<DeleteAddress>,
    default_address: ServerAction<MakeDefaultAddress>,
    end_session: ServerAction<EndSession>,
    end_others: ServerAction<EndOtherSessions>,
    sign_out: ServerAction<SignOut>,
}

impl AccountActions {
    fn new() -> Self {
        AccountActions {
            profile: ServerAction::new(),
            email: ServerAction::new(),
            password: ServerAction::new(),
            add_address: ServerAction::new(),
            delete_address: ServerAction::new(),
            default_address: ServerAction::new(),
            end_session: ServerAction::new(),
            end_others: ServerAction::new(),
            sign_out: ServerAction::new(),
        }
    }
}

/// `/account`
#[component]
pub fn AccountPage() -> impl IntoView {
    let actions = AccountActions::new();
    let account = Resource::new(|| (), |()| fetch_account());
    view! {
        <Title text="Your account" />
        <div class="mx-auto max-w-3xl px-4 py-8">
            <h1 class="text-3xl font-semibold text-stone-900">"Your account"</h1>
            <Notice />
            <Transition fallback=|| view! { <p class="py-8 text-stone-600">"Loading your account…"</p> }>
                {move || Suspend::new(async move {
                    match account.await {
                        Ok(account) => view! { <AccountSections account actions /> }.into_any(),
                        Err(error) => signed_in_or_error(error),
                    }
                })}
            </Transition>
        </div>
    }
}

#[component]
fn Section(title: &'static str, children: Children) -> impl IntoView {
    let id = format!("section-{}", title.to_lowercase().replace(' ', "-"));
    let labelled_by = id.clone();
    view! {
        <section class="mt-10 border-t border-stone-200 pt-6" aria-labelledby=labelled_by>
            <h2 id=id class="text-xl font-semibold text-stone-900">{title}</h2>
            {children()}
        </section>
    }
}

#[component]
fn AccountSections(account: AccountView, actions: AccountActions) -> impl IntoView {
    let verified = account.email_verified;
    view! {
        <p class="mt-2 text-stone-700">"Signed in as " <strong>{account.email.clone()}</strong></p>
        <p class="mt-2"><a class="font-medium underline" href="/account/orders">"Your orders"</a></p>
        <p class="mt-2"><a class="font-medium underline" href="/products?liked=true">"Products you like"</a></p>
        <ActionForm action=actions.sign_out attr:class="mt-3">
            <button type="submit" class="rounded-md border border-stone-300 px-4 py-2 text-sm font-medium hover:bg-stone-100">"Sign out"</button>
        </ActionForm>

        <Section title="Profile">
            <ActionForm action=actions.profile attr:aria-label="Profile">
                <Field label="Name" name="display_name" autocomplete="name" value=account.display_name.clone() />
                <Submit label="Save" />
            </ActionForm>
            <FormFeedback action=actions.profile success="Your name was saved." />
        </Section>

        <Section title="Email">
            <p class="mt-2 text-stone-700">
                <span>{account.email.clone()}</span>
                <span class="ml-2 text-sm text-stone-600">{if verified { "(confirmed)" } else { "(not confirmed yet)" }}</span>
            </p>
            <ActionForm action=actions.email attr:aria-label="Change email">
                <Field label="New email address" name="new_email" kind="email" autocomplete="email" />
                <Field label="Your password" name="password" kind="password" autocomplete="current-password" />
                <Submit label="Change email" />
            </ActionForm>
            <FormFeedback action=actions.email success="We sent a link to the new address. Follow it to complete the change." />
        </Section>

        <Section title="Password">
            <ActionForm action=actions.password attr:aria-label="Change password">
                <Field label="Current password" name="current_password" kind="password" autocomplete="current-password" />
                <Field label="New password" name="new_password" kind="password" autocomplete="new-password" minlength=10 hint=PASSWORD_HINT />
                <Submit label="Change password" />
            </ActionForm>
            <FormFeedback action=actions.password success="Your password was changed, and your other devices were signed out." />
        </Section>

        <Section title="Addresses">
            <Addresses addresses=account.addresses actions />
        </Section>

        <Section title="Active sessions">
            <p class="mt-2 text-sm text-stone-700">"Devices signed in to your account. End any you do not recognise."</p>
            <ul class="mt-4 divide-y divide-stone-200 border-y border-stone-200" aria-label="Active sessions">
                {account.sessions.into_iter().map(|session| {
                    let label = format!("End the session on {}", session.device);
                    view! {
                        <li class="flex flex-wrap items-center justify-between gap-3 py-3" data-testid="session">
                            <div>
                                <p class="font-medium text-stone-900">
                                    <span>{session.device.clone()}</span>
                                    {session.current.then(|| view! { <span class="ml-2 rounded bg-green-100 px-2 py-0.5 text-xs text-green-900">"This device"</span> })}
                                </p>
                                <p class="text-sm text-stone-600">
                                    <span>{session.ip.clone()}</span>
                                    <span>" · signed in "</span><span>{session.signed_in_at.clone()}</span>
                                    <span>" · last seen "</span><span>{session.last_seen_at.clone()}</span>
                                </p>
                            </div>
                            <ActionForm action=actions.end_session>
                                <input type="hidden" name="handle" value=session.handle.clone() />
                                <button type="submit" aria-label=label class="rounded-md border border-stone-300 px-3 py-1.5 text-sm hover:bg-stone-100">
                                    {if session.current { "Sign out" } else { "End" }}
                                </button>
                            </ActionForm>
                        </li>
                    }
                }).collect_view()}
            </ul>
            <ActionForm action=actions.end_others attr:class="mt-4">
                <button type="submit" class="rounded-md border border-stone-300 px-4 py-2 text-sm font-medium hover:bg-stone-100">"Sign out all other sessions"</button>
            </ActionForm>
            <FormFeedback action=actions.end_session success="That session was ended." />
            <FormFeedback action=actions.end_others success="Every other session was ended." />
        </Section>
    }
}

#[component]
fn Addresses(addresses: Vec<super::AddressView>, actions: AccountActions) -> impl IntoView {
    view! {
        {addresses.is_empty().then(|| view! { <p class="mt-2 text-stone-700">"No saved addresses yet."</p> })}
        <ul class="mt-4 grid gap-4 sm:grid-cols-2" aria-label="Saved addresses">
            {addresses.into_iter().map(|address| {
                let kind = match address.kind { super::AddressKind::Shipping => "Shipping", super::AddressKind::Billing => "Billing" };
                view! {
                    <li class="rounded-md border border-stone-200 p-4" data-testid="address">
                        <p class="text-sm font-medium text-stone-600">
                            <span>{kind}</span>
                            {address.is_default.then(|| view! { <span class="ml-2 rounded bg-stone-100 px-2 py-0.5 text-xs text-stone-900">"Default"</span> })}
                        </p>
                        <address class="mt-1 not-italic text-stone-900">
                            <span class="block">{address.full_name.clone()}</span>
                            <span class="block">{address.line1.clone()}</span>
                            {address.line2.clone().map(|l| view! { <span class="block">{l}</span> })}
                            <span class="block">{format!("{} {}", address.postal_code, address.city)}</span>
                            {address.region.clone().map(|r| view! { <span class="block">{r}</span> })}
                            <span class="block">{address.country.clone()}</span>
                        </address>
                        <div class="mt-3 flex gap-3">
                            {(!address.is_default).then(|| view! {
                                <ActionForm action=actions.default_address>
                                    <input type="hidden" name="address_id" value=address.id />
                                    <button type="submit" class="text-sm underline">"Make default"</button>
                                </ActionForm>
                            })}
                            <ActionForm action=actions.delete_address>
                                <input type="hidden" name="address_id" value=address.id />
                                <button type="submit" class="text-sm underline" aria-label=format!("Delete the address of {}", address.full_name)>"Delete"</button>
                            </ActionForm>
                        </div>
                    </li>
                }
            }).collect_view()}
        </ul>
        <details class="mt-6">
            <summary class="cursor-pointer font-medium text-stone-900">"Add an address"</summary>
            <ActionForm action=actions.add_address attr:aria-label="Add an address">
                <fieldset class="mt-4">
                    <legend class="text-sm font-medium text-stone-900">"Use for"</legend>
                    <label class="mr-4"><input type="radio" name="address[kind]" value="shipping" checked /> " Shipping"</label>
                    <label><input type="radio" name="address[kind]" value="billing" /> " Billing"</label>
                </fieldset>
                <Field label="Full name" name="address[full_name]" autocomplete="name" />
                <Field label="Address" name="address[line1]" autocomplete="address-line1" />
                <Field label="Second address line" name="address[line2]" autocomplete="address-line2" required=false />
                <Field label="Postal code" name="address[postal_code]" autocomplete="postal-code" />
                <Field label="City" name="address[city]" autocomplete="address-level2" />
                <Field label="Region" name="address[region]" autocomplete="address-level1" required=false />
                <Field label="Country code" name="address[country]" autocomplete="country" hint="Two letters, such as DE, FR or GB." />
                <Field label="Phone" name="address[phone]" kind="tel" autocomplete="tel" required=false />
                <label class="mt-4 block"><input type="checkbox" name="address[is_default]" value="on" /> " Make this my default"</label>
                <Submit label="Save address" />
            </ActionForm>
        </details>
        <FormFeedback action=actions.add_address success="Address saved." />
        <FormFeedback action=actions.delete_address success="Address deleted." />
        <FormFeedback action=actions.default_address success="Default address changed." />
    }
}

/// Whose account menu the header shows: everyone of a kind sees the same one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MenuFor {
    SignedOut,
    Customer,
    Staff,
}

impl MenuFor {
    pub const ALL: [MenuFor; 3] = [MenuFor::SignedOut, MenuFor::Customer, MenuFor::Staff];

    pub fn of(user: Option<&super::CurrentUser>) -> MenuFor {
        match user {
            None => MenuFor::SignedOut,
            Some(user) if user.is_staff() => MenuFor::Staff,
            Some(_) => MenuFor::Customer,
        }
    }
}

/// The header's account control for each kind of shopper.
pub fn account_links(menu: MenuFor) -> Vec<(&'static str, &'static str)> {
    match menu {
        MenuFor::SignedOut => vec![
            ("Sign in", "/account/login"),
            ("Create an account", "/account/signup"),
        ],
        MenuFor::Staff => vec![
            ("Your account", "/account"),
            ("Your orders", "/account/orders"),
            ("Liked products", "/products?liked=true"),
            ("Back office", "/manage"),
        ],
        MenuFor::Customer => vec![
            ("Your account", "/account"),
            ("Your orders", "/account/orders"),
            ("Liked products", "/products?liked=true"),
        ],
    }
}
