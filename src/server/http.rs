//! The HTTP server: routes, middleware, static files, probes, start-up and graceful shutdown.
//! [`Server::build`] is used by `main` and by the integration tests alike.

use super::assets::Assets;
use super::config::{Config, ConfigError, Settings};
use super::db::{ConnectError, Db};
use super::sessions::{self, SessionState};
use super::{AppState, demo, limits, mail};
use crate::app::{App, shell};
use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::header::{ACCEPT_ENCODING, CACHE_CONTROL, CONTENT_SECURITY_POLICY, HeaderName};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use leptos::config::LeptosOptions;
use leptos::prelude::*;
use leptos_axum::{AxumRouteListing, LeptosRoutes, ResponseOptions, generate_route_list};
use std::future::Future;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tower::ServiceExt;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::{CompressionLayer, CompressionLevel};
use tower_http::request_id::{
    MakeRequestUuid, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Database(#[from] ConnectError),
    #[error("demo data could not be loaded: {0}")]
    Demo(#[from] demo::DemoError),
    #[error(
        "the build output is incomplete: {0} is missing; build the site with `cargo leptos build` (see README)"
    )]
    BuildOutput(String),
    #[error("LEPTOS_SITE_ADDR: could not listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("STRIPE_SECRET_KEY: the payment client could not be set up: {0}")]
    Payments(#[from] super::payments::ProviderError),
}

/// A server that is bound and ready to serve.
pub struct Server {
    listener: tokio::net::TcpListener,
    router: Router,
    state: AppState,
}

impl Server {
    /// Connects and migrates the database, loads demo data into an empty one, builds the router and
    /// binds the listen address (port 0 picks a free port).
    pub async fn build(
        config: Config,
        settings: Settings,
        leptos_options: LeptosOptions,
    ) -> Result<Server, StartError> {
        check_build_output(&leptos_options)?;
        let db = Db::connect(&config.database_url).await?;
        if config.demo_data
            && let Some(credentials) =
                demo::load_if_empty(&db, &config.media_dir, &settings).await?
        {
            credentials.announce();
        }
        let addr = config.listen_addr;
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|source| StartError::Bind { addr, source })?;
        // This server's own address, for the test gateway's calls: loopback when it listens on
        // every interface.
        let mut own = listener.local_addr().unwrap_or(addr);
        if own.ip().is_unspecified() {
            own.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
        }
        let self_url = format!("http://{own}");
        let payments = match &config.stripe {
            Some(keys) => super::payments::Payments::stripe(
                keys,
                config
                    .stripe_api_base
                    .as_deref()
                    .unwrap_or(super::payments::STRIPE_API),
                self_url,
            )?,
            None => super::payments::Payments::test_gateway(self_url)?,
        };
        let catalog_cache = crate::catalog::cache::CatalogCache::new(Duration::from_secs(
            settings.catalog.version_recheck_secs,
        ));
        let state = AppState {
            leptos_options,
            db,
            limiter: Arc::new(limits::RateLimiter::new(&settings.limits)),
            outbox: mail::Outbox::default(),
            config: Arc::new(config),
            settings: Arc::new(settings),
            vocabulary: Arc::default(),
            catalog_cache: Arc::new(catalog_cache),
            known_sessions: Arc::default(),
            payments: Arc::new(payments),
            events: Default::default(),
            gateway_outbox: Default::default(),
            jobs: Default::default(),
        };
        Ok(Server {
            listener,
            router: router(state.clone()),
            state,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        // A bound listener always has an address.
        self.listener
            .local_addr()
            .unwrap_or(self.state.config.listen_addr)
    }

    pub fn db(&self) -> &Db {
        &self.state.db
    }

    /// The payment provider this server calls (Stripe, or its own test gateway with its keys).
    pub fn payments(&self) -> &super::payments::Payments {
        &self.state.payments
    }

    /// Changes each time the mail worker has sent a message.
    pub fn mail_sent(&self) -> tokio::sync::watch::Receiver<u64> {
        self.state.outbox.done()
    }

    /// Changes each time the payment provider's events have been applied.
    pub fn payment_events_applied(&self) -> tokio::sync::watch::Receiver<u64> {
        self.state.events.done()
    }

    /// How far the scheduled background jobs have run, for tests that move the shop's clock.
    pub fn jobs(&self) -> super::jobs::Progress {
        self.state.jobs.clone()
    }

    /// Serves until `shutdown` resolves, then finishes the requests in flight and closes the pool.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let jobs = super::jobs::start(&self.state);
        let result = axum::serve(
            self.listener,
            self.router
                .into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown)
        .await;
        jobs.stop();
        self.state.db.close().await;
        result
    }
}

/// Leptos looks the hashed asset names up in a file beside the executable on every page; without it
/// each page would fail, so a server without it does not start.
fn check_build_output(options: &LeptosOptions) -> Result<(), StartError> {
    if !options.hash_files {
        return Ok(());
    }
    let exe_dir = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(Path::to_path_buf))
        .unwrap_or_default();
    let hash_file = exe_dir.join(&*options.hash_file);
    if hash_file.is_file() {
        Ok(())
    } else {
        Err(StartError::BuildOutput(hash_file.display().to_string()))
    }
}

/// The page routes, generated once per process. Generating them runs the app with resource loading
/// suppressed process-wide, which stalls any page that starts rendering meanwhile
/// (leptos-rs/leptos#4773), so it must not happen while another server in the process serves.
pub fn page_routes() -> Vec<AxumRouteListing> {
    static ROUTES: std::sync::OnceLock<Vec<AxumRouteListing>> = std::sync::OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

fn router(state: AppState) -> Router {
    let options = state.leptos_options.clone();
    let settings = state.settings.clone();
    let routes = page_routes();
    let page_context = {
        let state = state.clone();
        move || page_context(&state)
    };
    let app_shell = {
        let options = options.clone();
        move || shell(options.clone())
    };

    let build_files = build_files(&options);
    let media = Router::new()
        .fallback_service(ServeDir::new(&state.config.media_dir))
        .layer(SetResponseHeaderLayer::overriding(
            CACHE_CONTROL,
            header_value("public, max-age=86400"),
        ));

    let session_layer = sessions::layer(
        sessions::Store::new(&state.db),
        &state.config,
        &state.settings.sessions,
    );

    let app = Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .merge(crate::catalog::seo::routes())
        .merge(mail::mailbox_routes())
        .nest_service("/media", media)
        .merge(
            Router::new()
                .leptos_routes_with_context(&state, routes, page_context.clone(), app_shell.clone())
                .route_layer(axum::middleware::from_fn_with_state(
                    state.clone(),
                    limits::guard_renders,
                )),
        )
        .fallback(public_file_or_not_found)
        .layer(axum::middleware::from_fn(server_fn_status))
        .layer(axum::middleware::from_fn(form_outcomes))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            limits::guard_writes,
        ))
        // Inside the session layer: a shared page with the shopper's own parts put in.
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            super::page_cache::personalise,
        ))
        .layer(session_layer)
        // The same for every client, so no session, limit or form handling either.
        .merge(build_files)
        // Called by the payment provider, not by a browser: no session, no Origin check or per-IP
        // limit; the webhook's signature (and the gateway's keys) authenticate them.
        .merge(crate::orders::webhook::routes())
        .merge(super::test_gateway::routes())
        // Outside the session layer, so a page that started a session (its cookie) is never shared.
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            super::page_cache::serve,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            private_and_secure,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            super::client_ip::identify,
        ));
    every_response(app, &settings.http).with_state(state)
}

/// The layers every answer passes through, whichever route made it: request ids and tracing, a
/// panic turned into the error page, compression, the body limit, the timeout and the security
/// headers a route did not set itself.
pub fn every_response<S: Clone + Send + Sync + 'static>(
    router: Router<S>,
    http: &super::config::HttpSettings,
) -> Router<S> {
    router.layer(
        tower::ServiceBuilder::new()
            .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
            .layer(TraceLayer::new_for_http().make_span_with(request_span))
            .layer(PropagateRequestIdLayer::new(REQUEST_ID))
            // What is compressed here is compressed for every response, so cheaply: gzip at
            // level 4. Brotli at the same level took a fifth of a rendered listing's throughput
            // for a page 3 % smaller (docs/performance.md). Shared pages and assets come with
            // brotli already.
            .layer(
                CompressionLayer::new()
                    .no_br()
                    .quality(CompressionLevel::Precise(4)),
            )
            .layer(axum::middleware::from_fn({
                let limit = http.body_limit_bytes;
                move |request, next| limit_body(limit, request, next)
            }))
            .layer(TimeoutLayer::with_status_code(
                StatusCode::SERVICE_UNAVAILABLE,
                Duration::from_secs(http.request_timeout_secs),
            ))
            .layer(SetResponseHeaderLayer::if_not_present(
                HeaderName::from_static("x-content-type-options"),
                HeaderValue::from_static("nosniff"),
            ))
            .layer(SetResponseHeaderLayer::if_not_present(
                HeaderName::from_static("referrer-policy"),
                HeaderValue::from_static("strict-origin-when-cross-origin"),
            ))
            .layer(SetResponseHeaderLayer::if_not_present(
                HeaderName::from_static("x-frame-options"),
                HeaderValue::from_static("DENY"),
            ))
            .layer(SetResponseHeaderLayer::if_not_present(
                CONTENT_SECURITY_POLICY,
                HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'"),
            ))
            // Innermost, so the error page gets the headers and compression of any other answer.
            .layer(CatchPanicLayer::custom(internal_error_page)),
    )
}

/// A server function that takes files, declared beside it with `inventory::submit!`: its body may be
/// as large as `max_bytes` where every other request keeps `body_limit_bytes`, and it must come as
/// `multipart/form-data`.
pub struct Upload {
    pub path: &'static str,
    pub max_bytes: usize,
}

inventory::collect!(Upload);

/// A file part of an upload, read whole: a part over `max_bytes` is refused by its name, before the
/// rest of it is read.
pub async fn read_file_part(
    field: &mut multer::Field<'static>,
    name: &str,
    max_bytes: usize,
) -> Result<Vec<u8>, crate::error::AppError> {
    let mut bytes = Vec::new();
    while let Some(chunk) = field.chunk().await.map_err(|_| cut_short())? {
        bytes.extend_from_slice(&chunk);
        if bytes.len() > max_bytes {
            return Err(crate::error::AppError::bad_request(format!(
                "{name} is larger than {} MB.",
                max_bytes / (1024 * 1024)
            )));
        }
    }
    Ok(bytes)
}

/// An upload whose body ended before its form did.
pub fn cut_short() -> crate::error::AppError {
    crate::error::AppError::bad_request("The upload was cut short; please send it again.")
}

/// Refuses a body over its route's limit: at once by its declared length, or as it streams in.
async fn limit_body(default: usize, request: Request, next: axum::middleware::Next) -> Response {
    let upload = inventory::iter::<Upload>
        .into_iter()
        .find(|upload| upload.path == request.uri().path());
    let limit = upload.map_or(default, |upload| upload.max_bytes);
    let declared = request
        .headers()
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|length| length.to_str().ok()?.parse::<usize>().ok());
    if declared.is_some_and(|length| length > limit) {
        return (StatusCode::PAYLOAD_TOO_LARGE, "The request is too large.").into_response();
    }
    // The multipart reader assumes a boundary; a body without one is refused before it looks.
    let multipart = request
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|kind| kind.to_str().ok())
        .is_some_and(|kind| multer::parse_boundary(kind).is_ok());
    if upload.is_some() && request.method() == axum::http::Method::POST && !multipart {
        return (
            StatusCode::BAD_REQUEST,
            "This form sends files: post it as multipart/form-data.",
        )
            .into_response();
    }
    next.run(request.map(|body| Body::new(http_body_util::Limited::new(body, limit))))
        .await
}

/// The routes of the build's files (`/pkg`): with hashed names, the files there at start are served
/// from memory (`server::assets`); any other (one a development build wrote since, or every file of
/// a build without hashed names, rewritten in place) comes from disk.
fn build_files(options: &LeptosOptions) -> Router<AppState> {
    let dir = Path::new(&*options.site_root).join(&*options.site_pkg_dir);
    let (in_memory, on_disk_policy) = if options.hash_files {
        let assets = Assets::load(&dir).unwrap_or_else(|error| {
            tracing::warn!(%error, dir = %dir.display(), "the build's files could not be read");
            Assets::default()
        });
        (assets, super::assets::IMMUTABLE)
    } else {
        (Assets::default(), HeaderValue::from_static("no-cache"))
    };
    let in_memory = Arc::new(in_memory);
    // A release built with --precompress has .br and .gz files beside each asset; without them the
    // compression layer compresses on the fly.
    let on_disk = ServeDir::new(dir).precompressed_br().precompressed_gzip();
    let serve = move |request: Request| {
        let (in_memory, on_disk, policy) =
            (in_memory.clone(), on_disk.clone(), on_disk_policy.clone());
        async move {
            let name = request.uri().path().trim_start_matches('/');
            if let Some(response) = in_memory.response(name, request.headers()) {
                return response;
            }
            let Ok(mut response) = on_disk.oneshot(request).await;
            if response.status().is_success() {
                response.headers_mut().insert(CACHE_CONTROL, policy);
            }
            response.into_response()
        }
    };
    Router::new().nest_service(&format!("/{}", options.site_pkg_dir), get(serve))
}

/// Largest server-function error body read back for its status; errors are a short message.
const ERROR_BODY_LIMIT: usize = 16 * 1024;

/// Gives a server function's error its own status (400 for arguments it could not read, and so
/// on) instead of the blanket 500 Leptos answers with for any error raised before the function ran.
async fn server_fn_status(request: Request, next: axum::middleware::Next) -> Response {
    let is_server_fn = limits::is_server_fn(request.uri().path());
    let response = next.run(request).await;
    if !is_server_fn || response.status() != StatusCode::INTERNAL_SERVER_ERROR {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, ERROR_BODY_LIMIT).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    if let Ok(error) = serde_json::from_slice::<crate::error::AppError>(&bytes) {
        parts.status = StatusCode::from_u16(error.status()).unwrap_or(parts.status);
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// On the page a form post came back to, the path of the server function that succeeded.
#[derive(Clone, Debug)]
pub struct SucceededForm(pub String);

/// Whether the session holds a form's success for the next page to say, which a shared page
/// cannot.
pub async fn awaits_form_outcome(session: &tower_sessions::Session) -> bool {
    !matches!(
        SessionState::of(session).await,
        Ok(SessionState {
            succeeded_form: None,
            ..
        })
    )
}

/// What no cache may keep, and the promise of HTTPS. A response whose route chose no caching
/// policy may be one person's own (their account, the back office, their cart count, an order
/// opened from an emailed link, a reset page), so no browser or proxy stores it; built files,
/// media and shared pages say what they allow. With secure cookies the shop is on HTTPS only, and
/// says so (HSTS), so a session cookie is never offered over a downgraded connection.
async fn private_and_secure(
    State(state): State<AppState>,
    request: Request,
    next: axum::middleware::Next,
) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    if !headers.contains_key(CACHE_CONTROL) {
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if state.config.secure_cookies {
        headers.insert(
            axum::http::header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=63072000; includeSubDomains"),
        );
    }
    response
}

/// A form posted by the browser succeeds by redirecting back, so its success message has to
/// outlive the redirect: the post notes its server function in the session, and the next page
/// takes the note for `FormFeedback` to read. Failures travel in the address (`__err`) instead.
async fn form_outcomes(
    session: tower_sessions::Session,
    mut request: Request,
    next: axum::middleware::Next,
) -> Response {
    if !super::accepts_html(request.headers()) {
        return next.run(request).await;
    }
    let path = request.uri().path().to_owned();
    if limits::is_server_fn(&path) {
        // Without a Referer, Leptos cannot put a failure in the address it redirects to, so a
        // redirect without `__err` proves nothing.
        let has_referer = request.headers().contains_key(axum::http::header::REFERER);
        let mut response = next.run(request).await;
        let Some(location) = response
            .headers()
            .get(axum::http::header::LOCATION)
            .and_then(|location| location.to_str().ok())
            .map(str::to_owned)
        else {
            return response;
        };
        // Leptos leaves a bare "?" where it removed an earlier error from the address.
        if let Some(tidy) = location.strip_suffix('?') {
            response
                .headers_mut()
                .insert(axum::http::header::LOCATION, header_value(tidy));
        }
        let succeeded =
            has_referer && response.status().is_redirection() && !location.contains("__err=");
        // A visitor with nothing in their session (a sign-up, a reset link asked for) is not given
        // one just for the note: every page after it would cost a look at the session store. Those
        // forms say what happened on the page they lead to.
        if succeeded
            && let Err(error) = SessionState::update(&session, |kept| {
                if !kept.is_empty() {
                    kept.succeeded_form = Some(path);
                }
            })
            .await
        {
            tracing::warn!(%error, "a form's success could not be noted");
        }
        return response;
    }
    // Taken only when there is one: a changed session is written back to the store, which no
    // ordinary page view should cost (`update` writes nothing when nothing changed).
    let mut taken = None;
    match SessionState::update(&session, |kept| taken = kept.succeeded_form.take()).await {
        Ok(_) => {
            if let Some(path) = taken {
                request.extensions_mut().insert(SucceededForm(path));
            }
        }
        Err(error) => tracing::warn!(%error, "a form's success could not be read"),
    }
    next.run(request).await
}

fn header_value(text: &str) -> HeaderValue {
    HeaderValue::from_str(text).unwrap_or_else(|_| HeaderValue::from_static("no-cache"))
}

/// Context for rendering a page: the shared state, and a Content-Security-Policy whose nonce is the
/// one Leptos puts on its hydration scripts, so no other inline script can run.
fn page_context(state: &AppState) {
    provide_context(state.clone());
    // Fresh per request: who is asking is worked out once, by whatever asks first.
    provide_context(crate::accounts::auth::ShopperOfRequest::default());
    leptos_router::components::provide_server_redirect(redirect_page);
    if let (Some(nonce), Some(response)) =
        (leptos::nonce::use_nonce(), use_context::<ResponseOptions>())
    {
        response.insert_header(
            CONTENT_SECURITY_POLICY,
            header_value(&content_security_policy(&format!("'nonce-{nonce}'"), false)),
        );
    }
}

/// A page that sends its visitor elsewhere (to sign in first, say) answers 302 whoever asks.
/// leptos_axum's own redirect answers 200 with an empty page to a client that does not say it
/// accepts HTML, which for a guarded page reads as if access had been granted.
fn redirect_page(path: &str) {
    if let (Some(response), Ok(location)) = (
        use_context::<ResponseOptions>(),
        HeaderValue::from_str(path),
    ) {
        response.insert_header(axum::http::header::LOCATION, location);
        response.set_status(StatusCode::FOUND);
    }
}

/// Lets the page being rendered load Stripe.js and its frames, when Stripe takes the payments:
/// the card step, and no other page.
pub fn allow_payment_provider_on_this_page() {
    let uses_stripe =
        use_context::<AppState>().is_some_and(|state| state.payments.uses_stripe_hosts);
    if let (true, Some(nonce), Some(response)) = (
        uses_stripe,
        leptos::nonce::use_nonce(),
        use_context::<ResponseOptions>(),
    ) {
        response.insert_header(
            CONTENT_SECURITY_POLICY,
            header_value(&content_security_policy(&format!("'nonce-{nonce}'"), true)),
        );
    }
}

/// `inline_scripts` names the inline scripts allowed to run: a nonce, or their hashes. Stripe.js
/// and its frames, the only third party the shop's pages talk to, are allowed where `stripe` says.
pub fn content_security_policy(inline_scripts: &str, stripe: bool) -> String {
    let (script, img, connect, frame) = if stripe {
        (
            " https://js.stripe.com",
            " https://*.stripe.com",
            " https://api.stripe.com",
            "https://js.stripe.com https://hooks.stripe.com",
        )
    } else {
        ("", "", "", "'none'")
    };
    format!(
        "default-src 'self'; script-src 'self' {inline_scripts} 'wasm-unsafe-eval'{script}; \
         style-src 'self'; img-src 'self' data:{img}; connect-src 'self'{connect}; \
         frame-src {frame}; font-src 'self'; object-src 'none'; \
         base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    )
}

/// Files under the site root (favicon, robots) with a modest cache lifetime; anything else is the
/// shop's styled 404 page.
async fn public_file_or_not_found(State(state): State<AppState>, request: Request) -> Response {
    let mut file_request = Request::builder().uri(request.uri().clone());
    if let Some(encoding) = request.headers().get(ACCEPT_ENCODING) {
        file_request = file_request.header(ACCEPT_ENCODING, encoding);
    }
    if let Ok(file_request) = file_request.body(Body::empty()) {
        let Ok(mut response) = ServeDir::new(&*state.leptos_options.site_root)
            .oneshot(file_request)
            .await;
        if response.status() == StatusCode::OK {
            let max_age = format!(
                "public, max-age={}",
                state.settings.http.public_max_age_secs
            );
            response
                .headers_mut()
                .insert(CACHE_CONTROL, header_value(&max_age));
            return response.into_response();
        }
    }
    if let Some(refused) = limits::render_refusal(&state, &request) {
        return refused;
    }
    let options = state.leptos_options.clone();
    let render = leptos_axum::render_app_to_stream_with_context(
        move || page_context(&state),
        move || shell(options.clone()),
    );
    render(request).await.into_response()
}

/// A bug must not take the connection down with it: the shopper gets a plain apology page with a 500,
/// and the panic is logged inside the request's span.
fn internal_error_page(panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let message = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("unknown panic");
    tracing::error!(panic = message, "request handler panicked");
    let page = "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Something went wrong</title>\
        <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"></head>\
        <body style=\"font-family:system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;color:#1c1917\">\
        <h1>Something went wrong on our side</h1><p>Please try again in a moment.</p>\
        <p><a href=\"/\">Back to the shop</a></p></body></html>";
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        [
            (
                axum::http::header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            ),
            // The page is a constant, so its one inline style is the only thing this policy allows.
            (
                CONTENT_SECURITY_POLICY,
                HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'"),
            ),
        ],
        page,
    )
        .into_response()
}

async fn healthz() -> &'static str {
    "ok"
}

async fn readyz(State(state): State<AppState>) -> (StatusCode, &'static str) {
    match tokio::time::timeout(Duration::from_secs(2), state.db.ping()).await {
        Ok(Ok(())) => (StatusCode::OK, "ready"),
        Ok(Err(error)) => {
            tracing::warn!(%error, "readiness check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable")
        }
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "database timed out"),
    }
}

fn request_span(request: &Request<Body>) -> tracing::Span {
    let id = request
        .extensions()
        .get::<RequestId>()
        .and_then(|id| id.header_value().to_str().ok())
        .unwrap_or("-")
        .to_owned();
    tracing::info_span!("request", id, method = %request.method(), path = %loggable_path(request.uri().path()))
}

/// The path with one-time tokens (password reset, email verification) masked: they must not be logged.
pub fn loggable_path(path: &str) -> String {
    for prefix in ["/account/reset/", "/account/verify/"] {
        if path.starts_with(prefix) && path.len() > prefix.len() {
            return format!("{prefix}[redacted]");
        }
    }
    path.to_owned()
}

/// Resolves when the process is asked to stop (Ctrl-C or SIGTERM).
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}

/// Reads the build layout, the environment and the settings file, failing on the first bad value.
pub fn load_configuration() -> Result<(Config, Settings, LeptosOptions), ConfigError> {
    let leptos_options = super::config::leptos_options()?;
    let config = Config::from_env(&leptos_options)?;
    let settings = Settings::load(&config.settings_file)?;
    Ok((config, settings, leptos_options))
}
