//! `/manage/audit`: the audit log, filtered by who, what and when.

use super::api::fetch_audit_log;
use super::{AuditFilters, AuditPage};
use crate::accounts::AuditEntity;
use crate::components::ErrorPanel;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

const INPUT: &str = "mt-1 rounded-md border border-stone-300 px-3 py-2";
const LABEL: &str = "block text-sm font-medium text-stone-900";

#[component]
pub fn AuditLogPage() -> impl IntoView {
    let query = use_query_map();
    let filters = move || {
        let query = query.read();
        AuditFilters {
            actor: query.get("actor"),
            entity: query.get("entity"),
            entity_id: query.get("entity_id"),
            from: query.get("from"),
            to: query.get("to"),
            before: query.get("before").and_then(|b| b.parse().ok()),
        }
    };
    let log = Resource::new(filters, fetch_audit_log);
    view! {
        <Title text="Audit log" />
        <h1 class="text-3xl font-semibold text-stone-900">"Audit log"</h1>
        <Filters filters=filters() />
        <Transition fallback=|| view! { <p class="py-4 text-stone-600">"Loading the log…"</p> }>
            {move || Suspend::new(async move {
                match log.await {
                    Ok(page) => view! { <Entries page filters=filters() /> }.into_any(),
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Filters(filters: AuditFilters) -> impl IntoView {
    let entity = filters.entity.clone();
    view! {
        <form method="get" action="/manage/audit" role="search" aria-label="Filter the audit log" class="mt-4 flex flex-wrap items-end gap-3">
            <div>
                <label for="audit-actor" class=LABEL>"Staff member"</label>
                <input id="audit-actor" name="actor" type="search" value=filters.actor.clone() class=format!("{INPUT} w-52") />
            </div>
            <div>
                <label for="audit-entity" class=LABEL>"Record"</label>
                <select id="audit-entity" name="entity" class=INPUT>
                    <option value="">"Any"</option>
                    {AuditEntity::ALL.into_iter().map(|kind| view! {
                        <option value=kind.name() selected=entity.as_deref() == Some(kind.name())>{kind.label()}</option>
                    }).collect_view()}
                </select>
            </div>
            <div>
                <label for="audit-entity-id" class=LABEL>"Record number"</label>
                <input id="audit-entity-id" name="entity_id" type="text" inputmode="numeric" value=filters.entity_id.clone() class=format!("{INPUT} w-28") />
            </div>
            <div>
                <label for="audit-from" class=LABEL>"From"</label>
                <input id="audit-from" name="from" type="date" value=filters.from.clone() class=INPUT />
            </div>
            <div>
                <label for="audit-to" class=LABEL>"To"</label>
                <input id="audit-to" name="to" type="date" value=filters.to.clone() class=INPUT />
            </div>
            <button type="submit" class="rounded-md bg-stone-900 px-4 py-2 font-medium text-white hover:bg-stone-700">"Filter"</button>
        </form>
    }
}

#[component]
fn Entries(page: AuditPage, filters: AuditFilters) -> impl IntoView {
    let next = page.next.map(|before| {
        AuditFilters {
            before: Some(before),
            ..filters
        }
        .href()
    });
    let empty = page.lines.is_empty();
    view! {
        {empty.then(|| view! { <p class="mt-6 text-stone-700">"Nothing recorded matches."</p> })}
        <ol class="mt-6 space-y-3 text-sm" aria-label="Entries, newest first">
            {page.lines.into_iter().map(|line| {
                let record = format!("{} {}", line.entity, line.entity_id);
                view! {
                    <li class="rounded-md border border-stone-200 p-3" data-testid="audit-line">
                        <p>
                            <strong>{line.action}</strong>
                            " · "
                            {match line.href {
                                Some(href) => view! { <a class="underline" href=href>{record}</a> }.into_any(),
                                None => view! { <span>{record}</span> }.into_any(),
                            }}
                            <span class="text-stone-600">{format!(" · {} · {}", line.actor.unwrap_or_else(|| "the shop".into()), line.at)}</span>
                        </p>
                        {line.before.map(|b| view! { <p class="mt-1 break-all text-stone-600"><span>"Before: "</span><code>{b}</code></p> })}
                        {line.after.map(|a| view! { <p class="mt-1 break-all text-stone-600"><span>"After: "</span><code>{a}</code></p> })}
                    </li>
                }
            }).collect_view()}
        </ol>
        {next.map(|href| view! { <a class="mt-4 inline-block underline" href=href>"Older entries"</a> })}
    }
}
