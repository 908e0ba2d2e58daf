//! `/manage/products/new` and `/manage/products/{id}`: a product's own fields.

use super::ProductStatus;
use super::api::{
    DeleteProduct, MoveVariant, RemoveVariant, SaveProduct, SaveVariant, fetch_product_editor,
};
use super::editor::{
    DESCRIPTION_MAX, NAME_MAX, ProductEditor, SEO_DESCRIPTION_MAX, SEO_TITLE_MAX, VariantLine,
};
use super::images::{
    ALT_MAX, DescribeImage, FILES_MAX, MoveImage, ProductImage, RemoveImage, UploadProductImages,
};
use super::variants::{SKU_MAX, TITLE_MAX};
use crate::components::{ErrorPanel, FormFeedback, PathFeedback};
use crate::manage::slugs::SLUG_MAX;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;

const INPUT: &str = "mt-1 w-full rounded-md border border-stone-300 px-3 py-2 text-stone-900";
const LABEL: &str = "block text-sm font-medium text-stone-900";
const HINT: &str = "mt-1 text-sm text-stone-600";

/// `/manage/products/new`
#[component]
pub fn NewProductPage() -> impl IntoView {
    view! { <Editor id=Signal::derive(|| None) /> }
}

/// `/manage/products/{id}`
#[component]
pub fn ProductEditorPage() -> impl IntoView {
    view! { <Editor id=crate::manage::pages::record_id() /> }
}

#[component]
fn Editor(id: Signal<Option<i64>>) -> impl IntoView {
    let save = ServerAction::<SaveProduct>::new();
    let delete = ServerAction::<DeleteProduct>::new();
    let variant_actions = VariantActions {
        save: ServerAction::new(),
        reorder: ServerAction::new(),
        remove: ServerAction::new(),
    };
    let image_actions = ImageActions {
        describe: ServerAction::new(),
        reorder: ServerAction::new(),
        remove: ServerAction::new(),
    };
    let editor = Resource::new(move || id.get(), fetch_product_editor);
    view! {
        <Transition fallback=|| view! { <p class="py-4 text-stone-600">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match editor.await {
                    Ok(editor) => view! { <EditorForm editor save delete variant_actions image_actions /> }.into_any(),
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn EditorForm(
    editor: ProductEditor,
    save: ServerAction<SaveProduct>,
    delete: ServerAction<DeleteProduct>,
    variant_actions: VariantActions,
    image_actions: ImageActions,
) -> impl IntoView {
    let heading = match editor.id {
        Some(_) => editor.name.clone(),
        None => "New product".to_owned(),
    };
    let disabled = !editor.can_edit;
    let category = editor.category.clone();
    let status = editor.status;
    view! {
        <Title text=format!("Product: {heading}") />
        <a class="text-sm underline" href="/manage/products">"All products"</a>
        <h1 class="mt-2 text-3xl font-semibold text-stone-900">{heading}</h1>
        {editor.id.filter(|_| status == ProductStatus::Active).map(|_| view! {
            <p class="mt-1"><a class="underline" href=format!("/p/{}", editor.slug)>"View in the shop"</a></p>
        })}
        <ActionForm action=save attr:class="mt-6 max-w-2xl space-y-4" attr:aria-label="Product details">
            {editor.id.map(|id| view! { <input type="hidden" name="id" value=id /> })}
            <div>
                <label for="product-name" class=LABEL>"Name"</label>
                <input id="product-name" name="product[name]" type="text" required maxlength=NAME_MAX
                    value=editor.name.clone() disabled=disabled class=INPUT />
            </div>
            <div>
                <label for="product-slug" class=LABEL>"Address"</label>
                <input id="product-slug" name="product[slug]" type="text" maxlength=SLUG_MAX
                    pattern="[a-z0-9]+(-[a-z0-9]+)*" value=editor.slug.clone() disabled=disabled
                    aria-describedby="product-slug-hint" class=INPUT />
                <p id="product-slug-hint" class=HINT>
                    "The end of the product's address, /p/…; left blank, it is made from the name. "
                    "When it changes, the old address leads to the new one."
                </p>
            </div>
            <div>
                <label for="product-description" class=LABEL>"Description"</label>
                <textarea id="product-description" name="product[description]" rows="8" maxlength=DESCRIPTION_MAX
                    disabled=disabled aria-describedby="product-description-hint" class=INPUT>
                    {editor.description.clone()}
                </textarea>
                <p id="product-description-hint" class=HINT>
                    "Markdown: **bold**, *italic*, lists, [links](https://example.com) and ## headings."
                </p>
            </div>
            <div class="flex flex-wrap gap-4">
                <div>
                    <label for="product-category" class=LABEL>"Category"</label>
                    <select id="product-category" name="product[category]" required disabled=disabled class=INPUT>
                        <option value="">"Choose…"</option>
                        {editor.categories.iter().map(|choice| {
                            let label = format!("{}{}", "— ".repeat(choice.depth), choice.name);
                            view! { <option value=choice.slug.clone() selected=category.as_deref() == Some(choice.slug.as_str())>{label}</option> }
                        }).collect_view()}
                    </select>
                </div>
                <div>
                    <label for="product-status" class=LABEL>"Status"</label>
                    <select id="product-status" name="product[status]" disabled=disabled class=INPUT>
                        {ProductStatus::ALL.into_iter().map(|s| view! {
                            <option value=s.name() selected=s == status>{s.label()}</option>
                        }).collect_view()}
                    </select>
                </div>
            </div>
            <fieldset class="rounded-md border border-stone-200 p-4">
                <legend class="px-1 text-sm font-medium text-stone-900">"In search engines"</legend>
                <label for="product-seo-title" class=LABEL>"Search title"</label>
                <input id="product-seo-title" name="product[seo_title]" type="text" maxlength=SEO_TITLE_MAX
                    value=editor.seo_title.clone() disabled=disabled aria-describedby="product-seo-hint" class=INPUT />
                <label for="product-seo-description" class=format!("{LABEL} mt-3")>"Search description"</label>
                <input id="product-seo-description" name="product[seo_description]" type="text" maxlength=SEO_DESCRIPTION_MAX
                    value=editor.seo_description.clone() disabled=disabled aria-describedby="product-seo-hint" class=INPUT />
                <p id="product-seo-hint" class=HINT>"Left blank: the name, and the start of the description."</p>
            </fieldset>
            {editor.can_edit.then(|| view! {
                <button type="submit" class="rounded-md bg-stone-900 px-5 py-2.5 font-medium text-white hover:bg-stone-700">
                    {if editor.id.is_some() { "Save product" } else { "Create product" }}
                </button>
            })}
        </ActionForm>
        <FormFeedback action=save success="Product saved." />

        {editor.id.map(|product_id| view! {
            <Variants product_id variants=editor.variants.clone() can_edit=editor.can_edit actions=variant_actions />
            <Images product_id images=editor.images.clone() can_edit=editor.can_edit published=status == ProductStatus::Active
                actions=image_actions />
        })}

        {editor.id.filter(|_| editor.can_edit).map(|id| match editor.ordered {
            true => view! {
                <p class="mt-10 text-sm text-stone-700">"This product has been ordered, so it cannot be deleted; archive it to take it out of the shop for good."</p>
            }.into_any(),
            false => view! {
                <ActionForm action=delete attr:class="mt-10" attr:aria-label="Delete product">
                    <input type="hidden" name="id" value=id />
                    <button type="submit" class="rounded-md border border-red-300 px-3 py-2 text-sm text-red-900 hover:bg-red-50">"Delete product"</button>
                </ActionForm>
            }.into_any(),
        })}
        <FormFeedback action=delete />
    }
}

#[derive(Clone, Copy)]
struct VariantActions {
    save: ServerAction<SaveVariant>,
    reorder: ServerAction<MoveVariant>,
    remove: ServerAction<RemoveVariant>,
}

/// A variant's fields, filled from `variant` (blank for a new one); `key` keeps the labels' ids apart.
fn variant_fields(
    key: &str,
    variant: Option<&VariantLine>,
    disabled: bool,
) -> impl IntoView + use<> {
    let id = |field: &str| format!("variant-{key}-{field}");
    let input = "mt-1 w-full rounded-md border border-stone-300 px-2 py-1.5 text-stone-900";
    let value = |get: fn(&VariantLine) -> String| variant.map(get).unwrap_or_default();
    view! {
        <div class="w-36">
            <label for=id("sku") class=LABEL>"SKU"</label>
            <input id=id("sku") name="variant[sku]" type="text" required maxlength=SKU_MAX disabled=disabled
                value=value(|v| v.sku.clone()) class=input />
        </div>
        <div class="w-32">
            <label for=id("title") class=LABEL>"Name"</label>
            <input id=id("title") name="variant[title]" type="text" required maxlength=TITLE_MAX disabled=disabled
                value=value(|v| v.title.clone()) class=input />
        </div>
        <div class="w-24">
            <label for=id("price") class=LABEL>"Price"</label>
            <input id=id("price") name="variant[price]" type="text" inputmode="decimal" required disabled=disabled
                value=value(|v| v.price.to_decimal_string()) class=input />
        </div>
        <div class="w-24">
            <label for=id("compare-at") class=LABEL>"Was"</label>
            <input id=id("compare-at") name="variant[compare_at]" type="text" inputmode="decimal" disabled=disabled
                value=value(|v| v.compare_at.map(|was| was.to_decimal_string()).unwrap_or_default()) class=input />
        </div>
        <div class="w-20">
            <label for=id("low") class=LABEL>"Low at"</label>
            <input id=id("low") name="variant[low_stock_threshold]" type="number" min="0" step="1" disabled=disabled
                value=value(|v| v.low_stock_threshold.to_string()) class=input />
        </div>
    }
}

#[component]
fn Variants(
    product_id: i64,
    variants: Vec<VariantLine>,
    can_edit: bool,
    actions: VariantActions,
) -> impl IntoView {
    let button = "rounded-md border border-stone-300 px-2 py-1.5 text-sm hover:bg-stone-100";
    let count = variants.len();
    let empty = variants.is_empty();
    view! {
        <section class="mt-10" aria-labelledby="product-variants">
            <h2 id="product-variants" class="text-xl font-semibold text-stone-900">"Variants"</h2>
            {empty.then(|| view! {
                <p class="mt-2 text-stone-700">"No variants yet: the product cannot be sold or published."</p>
            })}
            <ol class="mt-2 divide-y divide-stone-200 text-sm" aria-label="Variants, in the order the shop lists them">
                {variants.into_iter().enumerate().map(|(n, variant)| {
                    let sku = variant.sku.clone();
                    let variant_id = variant.id;
                    let fields = variant_fields(&variant_id.to_string(), Some(&variant), !can_edit);
                    let stock = format!("{} on hand, {} reserved", variant.on_hand, variant.reserved);
                    let (up, down, remove) = (
                        format!("Move up: {sku}"),
                        format!("Move down: {sku}"),
                        format!("Remove: {sku}"),
                    );
                    view! {
                        <li class="py-3" data-testid="variant-line">
                            <ActionForm action=actions.save attr:class="flex flex-wrap items-end gap-2" attr:aria-label=format!("Variant {sku}")>
                                <input type="hidden" name="product_id" value=product_id />
                                <input type="hidden" name="variant_id" value=variant_id />
                                {fields}
                                {can_edit.then(|| view! { <button type="submit" class=button>"Save"</button> })}
                            </ActionForm>
                            <div class="mt-2 flex flex-wrap items-center gap-2">
                                <a class="underline" href=format!("/manage/inventory/{variant_id}")>{stock}</a>
                                {can_edit.then(|| view! {
                                    {(n > 0).then(|| view! {
                                        <ActionForm action=actions.reorder>
                                            <input type="hidden" name="product_id" value=product_id />
                                            <input type="hidden" name="variant_id" value=variant_id />
                                            <input type="hidden" name="direction" value="up" />
                                            <button type="submit" class=button aria-label=up>"Move up"</button>
                                        </ActionForm>
                                    })}
                                    {(n + 1 < count).then(|| view! {
                                        <ActionForm action=actions.reorder>
                                            <input type="hidden" name="product_id" value=product_id />
                                            <input type="hidden" name="variant_id" value=variant_id />
                                            <input type="hidden" name="direction" value="down" />
                                            <button type="submit" class=button aria-label=down>"Move down"</button>
                                        </ActionForm>
                                    })}
                                    <ActionForm action=actions.remove>
                                        <input type="hidden" name="product_id" value=product_id />
                                        <input type="hidden" name="variant_id" value=variant_id />
                                        <button type="submit" class="rounded-md border border-red-300 px-2 py-1.5 text-sm text-red-900 hover:bg-red-50"
                                            aria-label=remove>"Remove"</button>
                                    </ActionForm>
                                })}
                            </div>
                        </li>
                    }
                }).collect_view()}
            </ol>
            <FormFeedback action=actions.save success="Variant saved." />
            <FormFeedback action=actions.reorder success="Variant moved." />
            <FormFeedback action=actions.remove success="Variant removed." />
            {can_edit.then(|| view! {
                <ActionForm action=actions.save attr:class="mt-4 flex flex-wrap items-end gap-2 rounded-md border border-stone-200 p-3" attr:aria-label="Add a variant">
                    <input type="hidden" name="product_id" value=product_id />
                    {variant_fields("new", None, false)}
                    <button type="submit" class=button>"Add variant"</button>
                </ActionForm>
            })}
        </section>
    }
}

#[derive(Clone, Copy)]
struct ImageActions {
    describe: ServerAction<DescribeImage>,
    reorder: ServerAction<MoveImage>,
    remove: ServerAction<RemoveImage>,
}

#[component]
fn Images(
    product_id: i64,
    images: Vec<ProductImage>,
    can_edit: bool,
    published: bool,
    actions: ImageActions,
) -> impl IntoView {
    let button = "rounded-md border border-stone-300 px-2 py-1.5 text-sm hover:bg-stone-100";
    let count = images.len();
    let moves = move |image_id: i64, direction: &'static str, label: String, text: &'static str| {
        view! {
            <ActionForm action=actions.reorder>
                <input type="hidden" name="product_id" value=product_id />
                <input type="hidden" name="image_id" value=image_id />
                <input type="hidden" name="direction" value=direction />
                <button type="submit" class=button aria-label=label>{text}</button>
            </ActionForm>
        }
    };
    view! {
        <section class="mt-10" aria-labelledby="product-images">
            <h2 id="product-images" class="text-xl font-semibold text-stone-900">"Images"</h2>
            <p class=HINT>"The first image is the product's picture in listings. Each needs a description before the product is published."</p>
            {images.is_empty().then(|| view! { <p class="mt-2 text-stone-700">"No images yet."</p> })}
            <ol class="mt-2 divide-y divide-stone-200 text-sm" aria-label="Images, in the order the shop shows them">
                {images.into_iter().enumerate().map(|(n, image)| {
                    let image_id = image.id;
                    let name = format!("image {}", n + 1);
                    let alt_id = format!("image-{image_id}-alt");
                    view! {
                        <li class="flex flex-wrap items-start gap-4 py-3" data-testid="image-line">
                            <img src=image.thumbnail.clone() alt="" width="80" height="80" class="h-20 w-20 rounded-md object-cover" />
                            <div class="flex-1">
                                <p class="text-stone-600">{format!("{} × {} pixels", image.width, image.height)}{(n == 0).then_some(" · shown in listings")}</p>
                                <ActionForm action=actions.describe attr:class="mt-1 flex flex-wrap items-end gap-2" attr:aria-label=format!("Describe {name}")>
                                    <input type="hidden" name="product_id" value=product_id />
                                    <input type="hidden" name="image_id" value=image_id />
                                    <div class="w-80">
                                        <label for=alt_id.clone() class=LABEL>"Description"</label>
                                        <input id=alt_id name="alt" type="text" maxlength=ALT_MAX value=image.alt.clone() disabled=!can_edit
                                            required=published class="mt-1 w-full rounded-md border border-stone-300 px-2 py-1.5 text-stone-900" />
                                    </div>
                                    {can_edit.then(|| view! { <button type="submit" class=button>"Save"</button> })}
                                </ActionForm>
                                {can_edit.then(|| view! {
                                    <div class="mt-2 flex flex-wrap items-center gap-2">
                                        {(n > 0).then(|| moves(image_id, "first", format!("Show first: {name}"), "Show first"))}
                                        {(n > 0).then(|| moves(image_id, "up", format!("Move up: {name}"), "Move up"))}
                                        {(n + 1 < count).then(|| moves(image_id, "down", format!("Move down: {name}"), "Move down"))}
                                        <ActionForm action=actions.remove>
                                            <input type="hidden" name="product_id" value=product_id />
                                            <input type="hidden" name="image_id" value=image_id />
                                            <button type="submit" class="rounded-md border border-red-300 px-2 py-1.5 text-sm text-red-900 hover:bg-red-50"
                                                aria-label=format!("Remove {name}")>"Remove"</button>
                                        </ActionForm>
                                    </div>
                                })}
                            </div>
                        </li>
                    }
                }).collect_view()}
            </ol>
            <FormFeedback action=actions.describe success="Description saved." />
            <FormFeedback action=actions.reorder success="Image moved." />
            <FormFeedback action=actions.remove success="Image removed." />
            {can_edit.then(|| view! {
                // A plain form post (the browser sends the files); with JavaScript, files dropped on
                // it are sent the same way.
                <form method="post" enctype="multipart/form-data" action=UploadProductImages::PATH data-drop-files=""
                    class="mt-4 space-y-3 rounded-md border border-dashed border-stone-400 p-4" aria-label="Upload images">
                    <input type="hidden" name="product_id" value=product_id />
                    <div>
                        <label for="image-files" class=LABEL>"Image files"</label>
                        <input id="image-files" name="images" type="file" multiple required accept="image/jpeg,image/png,image/webp"
                            aria-describedby="image-files-hint" class="mt-1 block text-sm" />
                        <p id="image-files-hint" class=HINT>{format!("JPEG, PNG or WebP, up to 10 MB each and {FILES_MAX} at once; or drop them here.")}</p>
                    </div>
                    <div class="max-w-md">
                        <label for="image-alt" class=LABEL>"Description"</label>
                        <input id="image-alt" name="alt" type="text" maxlength=ALT_MAX required=published aria-describedby="image-alt-hint" class=INPUT />
                        <p id="image-alt-hint" class=HINT>{match published {
                            true => "What the images show; given to each. A published product's images need one.",
                            false => "What the images show; given to each, and can be changed per image later.",
                        }}</p>
                    </div>
                    <button type="submit" class="rounded-md bg-stone-900 px-4 py-2 text-sm font-medium text-white hover:bg-stone-700">"Upload"</button>
                </form>
            })}
            <PathFeedback path=UploadProductImages::PATH success="Images uploaded." />
        </section>
    }
}
