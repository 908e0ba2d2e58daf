//! `/manage/categories`: the tree, and a category's editor.

use super::api::{
    DeleteCategory, DescribeCategoryPicture, MoveCategory, RemoveCategoryPicture, SaveCategory,
    UploadCategoryPicture, fetch_category_editor, fetch_category_tree,
};
use super::{CategoryEditor, CategoryPicture, CategoryTree, DESCRIPTION_MAX, NAME_MAX};
use crate::components::{ErrorPanel, FormFeedback, PathFeedback};
use crate::manage::products::images::ALT_MAX;
use crate::manage::slugs::SLUG_MAX;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;

const INPUT: &str = "mt-1 w-full rounded-md border border-stone-300 px-3 py-2 text-stone-900";
const LABEL: &str = "block text-sm font-medium text-stone-900";
const SMALL_BUTTON: &str =
    "rounded-md border border-stone-300 px-2 py-1 text-sm hover:bg-stone-100";

/// `/manage/categories`
#[component]
pub fn CategoriesPage() -> impl IntoView {
    let reorder = ServerAction::<MoveCategory>::new();
    let tree = Resource::new(|| (), |()| fetch_category_tree());
    view! {
        <Title text="Categories" />
        <div class="flex items-center justify-between gap-4">
            <h1 class="text-3xl font-semibold text-stone-900">"Categories"</h1>
            <a class="rounded-md border border-stone-300 px-3 py-2 text-sm font-medium hover:bg-stone-100" href="/manage/categories/new">"New category"</a>
        </div>
        <FormFeedback action=reorder success="Category moved." />
        <Transition fallback=|| view! { <p class="py-4 text-stone-600">"Loading categories…"</p> }>
            {move || Suspend::new(async move {
                match tree.await {
                    Ok(tree) => view! { <Tree tree reorder /> }.into_any(),
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Tree(tree: CategoryTree, reorder: ServerAction<MoveCategory>) -> impl IntoView {
    let can_edit = tree.can_edit;
    view! {
        <ol class="mt-6 divide-y divide-stone-200 text-sm" aria-label="Categories, in the shop's order">
            {tree.lines.into_iter().map(|line| {
                let (up, down) = (format!("Move up: {}", line.name), format!("Move down: {}", line.name));
                let id = line.id;
                view! {
                    <li class=format!("flex flex-wrap items-center gap-3 py-2 {}", if line.depth > 0 { "pl-8" } else { "" }) data-testid="category-line">
                        <a class="font-medium underline" href=format!("/manage/categories/{id}")>{line.name.clone()}</a>
                        <code class="text-stone-600">{format!("/c/{}", line.slug)}</code>
                        <span class="text-stone-600">{format!("{} products", line.products)}</span>
                        {line.hidden.then(|| view! { <span class="rounded bg-stone-200 px-1.5 text-stone-800">"Hidden"</span> })}
                        {can_edit.then(|| view! {
                            <span class="ml-auto flex gap-2">
                                {(!line.first).then(|| view! {
                                    <ActionForm action=reorder>
                                        <input type="hidden" name="id" value=id />
                                        <input type="hidden" name="direction" value="up" />
                                        <button type="submit" class=SMALL_BUTTON aria-label=up>"Move up"</button>
                                    </ActionForm>
                                })}
                                {(!line.last).then(|| view! {
                                    <ActionForm action=reorder>
                                        <input type="hidden" name="id" value=id />
                                        <input type="hidden" name="direction" value="down" />
                                        <button type="submit" class=SMALL_BUTTON aria-label=down>"Move down"</button>
                                    </ActionForm>
                                })}
                            </span>
                        })}
                    </li>
                }
            }).collect_view()}
        </ol>
    }
}

/// `/manage/categories/new`
#[component]
pub fn NewCategoryPage() -> impl IntoView {
    view! { <Editor id=Signal::derive(|| None) /> }
}

/// `/manage/categories/{id}`
#[component]
pub fn CategoryEditorPage() -> impl IntoView {
    view! { <Editor id=crate::manage::pages::record_id() /> }
}

#[component]
fn Editor(id: Signal<Option<i64>>) -> impl IntoView {
    let save = ServerAction::<SaveCategory>::new();
    let delete = ServerAction::<DeleteCategory>::new();
    let editor = Resource::new(move || id.get(), fetch_category_editor);
    view! {
        <Transition fallback=|| view! { <p class="py-4 text-stone-600">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match editor.await {
                    Ok(editor) => view! { <EditorForm editor save delete /> }.into_any(),
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn EditorForm(
    editor: CategoryEditor,
    save: ServerAction<SaveCategory>,
    delete: ServerAction<DeleteCategory>,
) -> impl IntoView {
    let heading = match editor.id {
        Some(_) => editor.name.clone(),
        None => "New category".to_owned(),
    };
    let disabled = !editor.can_edit;
    let parent = editor.parent.clone();
    view! {
        <Title text=format!("Category: {heading}") />
        <a class="text-sm underline" href="/manage/categories">"All categories"</a>
        <h1 class="mt-2 text-3xl font-semibold text-stone-900">{heading}</h1>
        <ActionForm action=save attr:class="mt-6 max-w-2xl space-y-4" attr:aria-label="Category details">
            {editor.id.map(|id| view! { <input type="hidden" name="id" value=id /> })}
            <div>
                <label for="category-name" class=LABEL>"Name"</label>
                <input id="category-name" name="category[name]" type="text" required maxlength=NAME_MAX
                    value=editor.name.clone() disabled=disabled class=INPUT />
            </div>
            <div>
                <label for="category-slug" class=LABEL>"Address"</label>
                <input id="category-slug" name="category[slug]" type="text" maxlength=SLUG_MAX pattern="[a-z0-9]+(-[a-z0-9]+)*"
                    value=editor.slug.clone() disabled=disabled aria-describedby="category-slug-hint" class=INPUT />
                <p id="category-slug-hint" class="mt-1 text-sm text-stone-600">"The end of the category's address, /c/…; left blank, it is made from the name."</p>
            </div>
            <div>
                <label for="category-description" class=LABEL>"Description"</label>
                <textarea id="category-description" name="category[description]" rows="3" maxlength=DESCRIPTION_MAX
                    disabled=disabled class=INPUT>{editor.description.clone()}</textarea>
            </div>
            <div>
                <label for="category-parent" class=LABEL>"Under"</label>
                <select id="category-parent" name="category[parent]" disabled=disabled class=INPUT>
                    <option value="">"Nothing: a top-level category"</option>
                    {editor.parents.iter().map(|option| view! {
                        <option value=option.slug.clone() selected=parent.as_deref() == Some(option.slug.as_str())>{option.name.clone()}</option>
                    }).collect_view()}
                </select>
            </div>
            <div class="flex items-center gap-2">
                <input id="category-hidden" name="category[hidden]" type="checkbox" checked=editor.hidden disabled=disabled
                    aria-describedby="category-hidden-hint" />
                <label for="category-hidden" class="text-sm font-medium text-stone-900">"Hidden from the shop"</label>
            </div>
            <p id="category-hidden-hint" class="text-sm text-stone-600">"Left out of the menus, filters and sitemap, with its subcategories; its products stay in search."</p>
            {editor.can_edit.then(|| view! {
                <button type="submit" class="rounded-md bg-stone-900 px-5 py-2.5 font-medium text-white hover:bg-stone-700">
                    {if editor.id.is_some() { "Save category" } else { "Create category" }}
                </button>
            })}
        </ActionForm>
        <FormFeedback action=save success="Category saved." />
        {editor.id.map(|id| view! { <Picture id picture=editor.picture.clone() can_edit=editor.can_edit /> })}

        {editor.id.filter(|_| editor.can_edit).map(|id| match editor.has_children {
            true => view! { <p class="mt-10 text-sm text-stone-700">"It has subcategories: move or delete them before deleting it."</p> }.into_any(),
            false => view! {
                <ActionForm action=delete attr:class="mt-10 flex flex-wrap items-end gap-3" attr:aria-label="Delete category">
                    <input type="hidden" name="id" value=id />
                    {(editor.products > 0).then(|| view! {
                        <div>
                            <label for="category-move-to" class=LABEL>{format!("Its {} products go to", editor.products)}</label>
                            <select id="category-move-to" name="move_to" required class=INPUT>
                                <option value="">"Choose…"</option>
                                {editor.others.iter().map(|option| view! {
                                    <option value=option.slug.clone()>{option.name.clone()}</option>
                                }).collect_view()}
                            </select>
                        </div>
                    })}
                    <button type="submit" class="rounded-md border border-red-300 px-3 py-2 text-sm text-red-900 hover:bg-red-50">"Delete category"</button>
                </ActionForm>
            }.into_any(),
        })}
        <FormFeedback action=delete />
    }
}

/// The picture at the top of the category's page: shown, described anew, removed or replaced.
#[component]
fn Picture(id: i64, picture: Option<CategoryPicture>, can_edit: bool) -> impl IntoView {
    let describe = ServerAction::<DescribeCategoryPicture>::new();
    let remove = ServerAction::<RemoveCategoryPicture>::new();
    let has_picture = picture.is_some();
    view! {
        <section class="mt-10 max-w-2xl" aria-labelledby="category-picture">
            <h2 id="category-picture" class="text-xl font-semibold text-stone-900">"Picture"</h2>
            <p class="mt-1 text-sm text-stone-600">"Shown at the top of the category's page."</p>
            {match picture {
                None => view! { <p class="mt-2 text-stone-700">"No picture yet."</p> }.into_any(),
                Some(picture) => view! {
                    <div class="mt-2 flex flex-wrap items-start gap-4" data-testid="category-picture">
                        <img src=picture.thumbnail.clone() alt="" width="120" height="80" class="h-20 w-32 rounded-md object-cover" />
                        <div class="flex-1 text-sm">
                            <p class="text-stone-600">{format!("{} × {} pixels", picture.width, picture.height)}</p>
                            <ActionForm action=describe attr:class="mt-1 flex flex-wrap items-end gap-2" attr:aria-label="Describe the picture">
                                <input type="hidden" name="id" value=id />
                                <div class="w-80">
                                    <label for="picture-alt" class=LABEL>"Description"</label>
                                    <input id="picture-alt" name="alt" type="text" required maxlength=ALT_MAX value=picture.alt.clone()
                                        disabled=!can_edit class=INPUT />
                                </div>
                                {can_edit.then(|| view! { <button type="submit" class=SMALL_BUTTON>"Save"</button> })}
                            </ActionForm>
                            {can_edit.then(|| view! {
                                <ActionForm action=remove attr:class="mt-2">
                                    <input type="hidden" name="id" value=id />
                                    <button type="submit" class="rounded-md border border-red-300 px-2 py-1 text-sm text-red-900 hover:bg-red-50">"Remove picture"</button>
                                </ActionForm>
                            })}
                        </div>
                    </div>
                }.into_any(),
            }}
            <FormFeedback action=describe success="Description saved." />
            <FormFeedback action=remove success="Picture removed." />
            {can_edit.then(|| view! {
                // A plain form post (the browser sends the file); with JavaScript, a file dropped on
                // it is sent the same way.
                <form method="post" enctype="multipart/form-data" action=UploadCategoryPicture::PATH data-drop-files=""
                    class="mt-4 space-y-3 rounded-md border border-dashed border-stone-400 p-4" aria-label="Upload a picture">
                    <input type="hidden" name="id" value=id />
                    <div>
                        <label for="picture-file" class=LABEL>{if has_picture { "A new picture" } else { "Picture file" }}</label>
                        <input id="picture-file" name="image" type="file" required accept="image/jpeg,image/png,image/webp"
                            aria-describedby="picture-file-hint" class="mt-1 block text-sm" />
                        <p id="picture-file-hint" class="mt-1 text-sm text-stone-600">"JPEG, PNG or WebP, up to 10 MB; or drop it here."</p>
                    </div>
                    <div>
                        <label for="picture-new-alt" class=LABEL>"Description"</label>
                        <input id="picture-new-alt" name="alt" type="text" required maxlength=ALT_MAX class=INPUT />
                    </div>
                    <button type="submit" class="rounded-md bg-stone-900 px-4 py-2 text-sm font-medium text-white hover:bg-stone-700">"Upload"</button>
                </form>
            })}
            <PathFeedback path=UploadCategoryPicture::PATH success="Picture uploaded." />
        </section>
    }
}
