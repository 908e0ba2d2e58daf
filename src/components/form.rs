use crate::error::AppError;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos::server_fn::error::ServerFnUrlError;
use leptos_router::hooks::use_query_map;

/// The outcome of a form's last submission, told on the page it came back to: its error from the
/// `__err` the server put in the address, or its success message when the server noted one
/// (`server::http::form_outcomes`).
#[component]
pub fn FormFeedback<A>(
    /// The form's action; only its server function's path is read.
    action: ServerAction<A>,
    /// Said when the form's last submission succeeded.
    #[prop(optional)]
    success: Option<&'static str>,
    /// A link after the success message: (label, href).
    #[prop(optional)]
    success_link: Option<(&'static str, &'static str)>,
) -> impl IntoView
where
    A: ServerFn<Error = AppError> + Clone + Send + Sync + 'static,
    A::Output: Clone + Send + Sync + 'static,
{
    let _ = action;
    feedback(A::PATH, success, success_link)
}

/// [`FormFeedback`] for a form that posts to a server function by its path, without an action of
/// its own (a file upload, whose arguments cannot be cloned into one).
#[component]
pub fn PathFeedback(
    /// The server function's path.
    path: &'static str,
    /// Said when the form's last submission succeeded.
    #[prop(optional)]
    success: Option<&'static str>,
) -> impl IntoView {
    feedback(path, success, None)
}

fn feedback(
    path: &'static str,
    success: Option<&'static str>,
    success_link: Option<(&'static str, &'static str)>,
) -> impl IntoView {
    let query = use_query_map();
    let failure = move || {
        let query = query.read();
        (query.get("__path").as_deref() == Some(path))
            .then(|| {
                query
                    .get("__err")
                    .map(|err| ServerFnUrlError::<AppError>::decode_err(&err))
            })
            .flatten()
    };
    #[cfg(feature = "ssr")]
    let succeeded = crate::server::succeeded_form().as_deref() == Some(path);
    #[cfg(not(feature = "ssr"))]
    let succeeded = false;
    let message = match failure() {
        Some(error) => Some((true, error.to_string())),
        None => success
            .filter(|_| succeeded)
            .map(|text| (false, text.to_owned())),
    };
    message.map(|(is_error, text)| {
        let tone = if is_error {
            "border-red-200 bg-red-50 text-red-900"
        } else {
            "border-green-200 bg-green-50 text-green-900"
        };
        view! {
            <p role=if is_error { "alert" } else { "status" } class=format!("mt-3 rounded-md border px-3 py-2 text-sm {tone}")>
                {text}
                {success_link.filter(|_| !is_error).map(|(label, href)| view! { " " <a class="font-medium underline" href=href>{label}</a> })}
            </p>
        }
    })
}

/// A labelled text input.
#[component]
pub fn Field(
    label: &'static str,
    name: &'static str,
    #[prop(default = "text")] kind: &'static str,
    #[prop(optional)] autocomplete: Option<&'static str>,
    #[prop(optional, into)] value: Option<String>,
    #[prop(default = true)] required: bool,
    #[prop(optional)] hint: Option<&'static str>,
    #[prop(optional)] minlength: Option<usize>,
) -> impl IntoView {
    let id = format!("field-{name}");
    let hint_id = hint.map(|_| format!("{id}-hint"));
    view! {
        <div class="mt-4">
            <label for=id.clone() class="block text-sm font-medium text-stone-900">{label}</label>
            <input id=id name=name type=kind autocomplete=autocomplete value=value required=required
                minlength=minlength aria-describedby=hint_id.clone()
                class="mt-1 w-full rounded-md border border-stone-300 px-3 py-2 text-stone-900" />
            {hint.map(|hint| view! { <p id=hint_id class="mt-1 text-sm text-stone-600">{hint}</p> })}
        </div>
    }
}

/// The form's submit button.
#[component]
pub fn Submit(label: &'static str) -> impl IntoView {
    view! {
        <button type="submit" class="mt-6 rounded-md bg-stone-900 px-5 py-2.5 font-medium text-white hover:bg-stone-700">
            {label}
        </button>
    }
}
