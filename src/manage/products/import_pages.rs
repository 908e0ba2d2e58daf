//! `/manage/imports`: uploading a CSV file of products and the imports so far;
//! `/manage/imports/{id}`: what checking one found, applying it, and how far that has got.

use super::csv::COLUMNS;
use super::import::{
    ApplyProductImport, ImportView, UploadProductCsv, fetch_product_import, fetch_product_imports,
};
use crate::components::{ErrorPanel, FormFeedback, PathFeedback};
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;

const BUTTON: &str =
    "rounded-md bg-stone-900 px-4 py-2 text-sm font-medium text-white hover:bg-stone-700";
const HINT: &str = "mt-1 text-sm text-stone-600";

fn status_label(status: &str) -> &'static str {
    match status {
        "checking" => "Being checked: nothing is changed until it is applied",
        "refused" => "Has errors: nothing applied",
        "checked" => "Checked: ready to apply",
        "queued" => "Waiting to be applied",
        "applying" => "Being applied",
        "applied" => "Applied",
        _ => "Unknown",
    }
}

/// `/manage/imports`
#[component]
pub fn ImportsPage() -> impl IntoView {
    let imports = Resource::new(|| (), |()| fetch_product_imports());
    view! {
        <Title text="Import products" />
        <a class="text-sm underline" href="/manage/products">"All products"</a>
        <h1 class="mt-2 text-3xl font-semibold text-stone-900">"Import products"</h1>
        <p class="mt-2 max-w-2xl text-stone-700">
            "A CSV file with the columns of the export, one line per variant. Lines are matched to products by their handle and to variants by SKU; what the file leaves out (other products, other variants) stays as it is, and what is already as the file says is not written. The file is checked first: nothing changes until you apply it."
        </p>
        <form method="post" enctype="multipart/form-data" action=UploadProductCsv::PATH aria-label="Upload a CSV file"
            class="mt-4 max-w-2xl space-y-3 rounded-md border border-dashed border-stone-400 p-4" data-drop-files="">
            <div>
                <label for="import-file" class="block text-sm font-medium text-stone-900">"CSV file"</label>
                <input id="import-file" name="file" type="file" required accept=".csv,text/csv" aria-describedby="import-file-hint" class="mt-1 block text-sm" />
                <p id="import-file-hint" class=HINT>{format!("Columns: {}. Up to {} MB.", COLUMNS.join(", "), super::import::FILE_MAX_BYTES / (1024 * 1024))}</p>
            </div>
            <button type="submit" class=BUTTON>"Check the file"</button>
        </form>
        <PathFeedback path=UploadProductCsv::PATH />
        <Transition fallback=|| view! { <p class="py-4 text-stone-600">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match imports.await {
                    Ok(imports) if imports.is_empty() => view! { <p class="mt-6 text-stone-700">"No imports yet."</p> }.into_any(),
                    Ok(imports) => view! {
                        <table class="mt-6 w-full max-w-3xl text-left text-sm">
                            <caption class="sr-only">"Imports, newest first"</caption>
                            <thead><tr class="border-b border-stone-300"><th class="py-2">"File"</th><th>"When"</th><th>"Products"</th><th>"Status"</th></tr></thead>
                            <tbody>
                                {imports.into_iter().map(|import| view! {
                                    <tr class="border-b border-stone-200" data-testid="import-row">
                                        <td class="py-2"><a class="underline" href=format!("/manage/imports/{}", import.id)>{import.file_name.clone()}</a></td>
                                        <td>{import.created_at.clone()}</td>
                                        <td>{import.products}</td>
                                        <td>{status_label(&import.status)}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any(),
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// `/manage/imports/{id}`
#[component]
pub fn ImportPage() -> impl IntoView {
    let id = crate::manage::pages::record_id();
    let apply = ServerAction::<ApplyProductImport>::new();
    let import = Resource::new(
        move || id.get(),
        |id| fetch_product_import(id.unwrap_or_default()),
    );
    view! {
        <Transition fallback=|| view! { <p class="py-4 text-stone-600">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match import.await {
                    Ok(import) => view! { <Import import apply /> }.into_any(),
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Import(import: ImportView, apply: ServerAction<ApplyProductImport>) -> impl IntoView {
    let summary = import.summary;
    let checking = import.status == "checking";
    let underway = matches!(import.status.as_str(), "queued" | "applying");
    let rows = [
        ("New products", summary.new_products),
        ("Changed products", summary.changed_products),
        ("Unchanged products", summary.unchanged_products),
        ("New variants", summary.new_variants),
        ("Changed variants", summary.changed_variants),
        ("Stock counts changed", summary.stock_changes),
    ];
    view! {
        <Title text=format!("Import: {}", import.file_name) />
        <a class="text-sm underline" href="/manage/imports">"All imports"</a>
        <h1 class="mt-2 text-3xl font-semibold text-stone-900">{import.file_name.clone()}</h1>
        <p class="mt-1 text-stone-700" data-testid="import-status">{status_label(&import.status)}</p>
        <p class=HINT>{format!("{} lines, {} products, uploaded {}.", import.lines, import.products, import.created_at)}</p>
        {checking.then(|| view! {
            <div class="mt-6 max-w-md">
                <label for="import-check" class="block text-sm font-medium text-stone-900">"Checked"</label>
                <progress id="import-check" class="mt-1 w-full" max=import.products value=import.products_checked></progress>
                <p class=HINT>{format!("{} of {} products", import.products_checked, import.products)}</p>
                <a class="text-sm underline" href=format!("/manage/imports/{}", import.id)>"Refresh"</a>
            </div>
        })}
        <h2 class="mt-6 text-xl font-semibold text-stone-900">{match checking { true => "What it changes, so far", false => "What it changes" }}</h2>
        <dl class="mt-2 grid max-w-md grid-cols-2 gap-x-4 gap-y-1 text-sm" data-testid="import-summary">
            {rows.into_iter().map(|(label, n)| view! { <dt class="text-stone-600">{label}</dt><dd>{n}</dd> }).collect_view()}
        </dl>
        {(underway || import.status == "applied").then(|| view! {
            <div class="mt-6 max-w-md">
                <label for="import-progress" class="block text-sm font-medium text-stone-900">"Applied"</label>
                <progress id="import-progress" class="mt-1 w-full" max=import.products value=import.products_done></progress>
                <p class=HINT data-testid="import-progress">{format!("{} of {} products", import.products_done, import.products)}</p>
                {underway.then(|| view! { <a class="text-sm underline" href=format!("/manage/imports/{}", import.id)>"Refresh"</a> })}
            </div>
        })}
        {import.can_apply.then(|| view! {
            <ActionForm action=apply attr:class="mt-6" attr:aria-label="Apply the import">
                <input type="hidden" name="id" value=import.id />
                <button type="submit" class=BUTTON>"Apply"</button>
            </ActionForm>
        })}
        <FormFeedback action=apply success="The import is being applied." />
        {(!import.errors.is_empty()).then(|| view! {
            <h2 class="mt-6 text-xl font-semibold text-stone-900">"Errors"</h2>
            <p class=HINT>"Fix these lines and upload the file again."</p>
            <table class="mt-2 w-full max-w-3xl text-left text-sm">
                <caption class="sr-only">"Errors by line"</caption>
                <thead><tr class="border-b border-stone-300"><th class="py-2">"Line"</th><th>"Error"</th></tr></thead>
                <tbody>
                    {import.errors.iter().map(|error| view! {
                        <tr class="border-b border-stone-200" data-testid="import-error"><td class="py-2">{error.line}</td><td>{error.message.clone()}</td></tr>
                    }).collect_view()}
                </tbody>
            </table>
        })}
    }
}
