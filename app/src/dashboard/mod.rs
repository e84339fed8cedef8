//! `ballast dashboard`: a local web app over one market (docs/dashboard.md).
//!
//! Four views — market, positions, one position, stress test — each as HTML and as JSON under
//! `/api`, computed by [`pages`] from a [`MarketState`] with the program's own math. The state
//! comes from a [`Source`]: a live chain read by a [`loader`] task (an RPC cluster, the local
//! validator or the embedded bank, through the keeper's `Chain`), or the snapshots a demo
//! recorded, picked with `?at=N`.

pub mod html;
pub mod pages;
pub mod svg;

use std::sync::Arc;
use std::time::{Duration, Instant};

use anchor_lang::prelude::Pubkey;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use ballast_client::chain::Chain;
use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, oneshot};

use crate::stress::MarketState;

/// A failure shown to the person (an HTML page) or the script (JSON), with its HTTP status.
#[derive(Debug, Clone)]
pub struct DashError {
    pub status: StatusCode,
    pub title: &'static str,
    pub message: String,
}

impl DashError {
    pub fn bad_request(message: impl Into<String>) -> DashError {
        DashError {
            status: StatusCode::BAD_REQUEST,
            title: "Bad request",
            message: message.into(),
        }
    }

    pub fn not_found(message: impl Into<String>) -> DashError {
        DashError {
            status: StatusCode::NOT_FOUND,
            title: "Not found",
            message: message.into(),
        }
    }

    pub fn unreachable(message: impl Into<String>) -> DashError {
        DashError {
            status: StatusCode::BAD_GATEWAY,
            title: "The chain cannot be reached",
            message: message.into(),
        }
    }

    pub fn internal(error: impl std::fmt::Display) -> DashError {
        DashError {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            title: "Internal error",
            message: error.to_string(),
        }
    }
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    status: u16,
    error: &'a str,
    message: &'a str,
}

/// An error as JSON (the `/api` routes).
struct ApiError(DashError);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            status: self.0.status.as_u16(),
            error: self.0.title,
            message: &self.0.message,
        };
        (
            self.0.status,
            Json(serde_json::to_value(&body).unwrap_or_default()),
        )
            .into_response()
    }
}

/// One recorded moment of a market (the demo's story).
#[derive(Clone)]
pub struct Snapshot {
    pub label: String,
    pub state: Arc<MarketState>,
}

impl std::fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Snapshot")
            .field("label", &self.label)
            .field("now", &self.state.view.now)
            .field("obligations", &self.state.obligations.len())
            .finish()
    }
}

/// Which snapshot a page shows, for the time slider.
#[derive(Debug, Clone, Serialize)]
pub struct SnapshotInfo {
    pub index: usize,
    pub count: usize,
    pub label: String,
    pub labels: Vec<String>,
}

type Reply = oneshot::Sender<Result<Arc<MarketState>, DashError>>;

/// Asks the [`loader`] for the market's current state.
#[derive(Clone)]
pub struct Live {
    requests: mpsc::Sender<Reply>,
    pub market: Pubkey,
    /// Where the chain is, for the pages.
    pub origin: String,
}

/// Where the dashboard's market comes from.
#[derive(Clone)]
pub enum Source {
    Live(Live),
    Recorded(Arc<Vec<Snapshot>>),
}

/// A live source and the receiving end its [`loader`] serves.
pub fn live(market: Pubkey, origin: impl Into<String>) -> (Live, mpsc::Receiver<Reply>) {
    let (requests, receiver) = mpsc::channel(64);
    (
        Live {
            requests,
            market,
            origin: origin.into(),
        },
        receiver,
    )
}

/// Serves the market's state to the dashboard from `chain` until every [`Live`] is dropped.
/// A state younger than `max_age` is reused. Runs on the caller's task: a `Chain` need not be
/// `Send` (the embedded bank's is not), the HTTP server only holds the channel.
pub async fn loader<C: Chain>(
    chain: &mut C,
    market: Pubkey,
    mut requests: mpsc::Receiver<Reply>,
    max_age: Duration,
) {
    let mut cache: Option<(Instant, Arc<MarketState>)> = None;
    while let Some(reply) = requests.recv().await {
        let fresh = cache
            .as_ref()
            .filter(|(at, _)| at.elapsed() < max_age)
            .map(|(_, state)| state.clone());
        let result = match fresh {
            Some(state) => Ok(state),
            None => match load(chain, &market).await {
                Ok(state) => {
                    let state = Arc::new(state);
                    cache = Some((Instant::now(), state.clone()));
                    Ok(state)
                }
                Err(error) => Err(error),
            },
        };
        let _ = reply.send(result);
    }
}

/// Loads the market, telling apart a chain that cannot be reached (502) from an address that
/// holds no Ballast market (404).
async fn load<C: Chain>(chain: &mut C, market: &Pubkey) -> Result<MarketState, DashError> {
    let transport = |error: anyhow::Error| {
        if crate::keeper::is_transport(&error) {
            DashError::unreachable(format!("{error:#}"))
        } else {
            DashError::internal(format!("{error:#}"))
        }
    };
    let account = chain
        .account(market)
        .await
        .map_err(|e| transport(anyhow::Error::new(e)))?;
    let Some(account) = account else {
        return Err(DashError::not_found(format!(
            "no account at {market}: not a Ballast market"
        )));
    };
    if account.owner != ballast::ID {
        return Err(DashError::not_found(format!(
            "{market} is not a Ballast market (its owner is {})",
            account.owner
        )));
    }
    if ballast_client::view::decode::<ballast::state::Market>(&account).is_err() {
        return Err(DashError::not_found(format!(
            "{market} is a Ballast account but not a market"
        )));
    }
    MarketState::load(chain, market).await.map_err(transport)
}

/// The server's state.
pub struct App {
    pub source: Source,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct At {
    /// Snapshot index (recorded sources; default the last).
    pub at: Option<usize>,
}

impl App {
    async fn state(
        &self,
        at: Option<usize>,
    ) -> Result<(Arc<MarketState>, Option<SnapshotInfo>), DashError> {
        match &self.source {
            Source::Live(live) => {
                let (reply, answer) = oneshot::channel();
                live.requests
                    .send(reply)
                    .await
                    .map_err(|_| DashError::internal("the chain loader stopped"))?;
                let state = answer
                    .await
                    .map_err(|_| DashError::internal("the chain loader stopped"))??;
                Ok((state, None))
            }
            Source::Recorded(snapshots) => {
                let count = snapshots.len();
                let index = at.unwrap_or(count.saturating_sub(1));
                let snapshot = snapshots.get(index).ok_or_else(|| {
                    DashError::not_found(format!(
                        "no snapshot {index}: the story has {count} (0 … {})",
                        count.saturating_sub(1)
                    ))
                })?;
                Ok((
                    snapshot.state.clone(),
                    Some(SnapshotInfo {
                        index,
                        count,
                        label: snapshot.label.clone(),
                        labels: snapshots.iter().map(|s| s.label.clone()).collect(),
                    }),
                ))
            }
        }
    }

    fn origin(&self) -> String {
        match &self.source {
            Source::Live(live) => live.origin.clone(),
            Source::Recorded(_) => "the demo's embedded bank (recorded)".into(),
        }
    }
}

/// Runs `work` off the async threads (valuing 10 000 obligations or a stress sweep is CPU work).
async fn compute<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, DashError> + Send + 'static,
) -> Result<T, DashError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(DashError::internal)?
}

type Shared = State<Arc<App>>;

fn page(
    app: &App,
    info: &Option<SnapshotInfo>,
    view: html::View,
    result: Result<maud::Markup, DashError>,
) -> Response {
    let frame = html::Frame {
        origin: app.origin(),
        snapshot: info.clone(),
        view,
    };
    match result {
        Ok(body) => html::layout(&frame, body).into_response(),
        Err(error) => error_page(&frame, &error),
    }
}

fn error_page(frame: &html::Frame, error: &DashError) -> Response {
    (error.status, html::layout(frame, html::error(error))).into_response()
}

async fn with_state<T: Send + 'static>(
    app: &App,
    at: Option<usize>,
    work: impl FnOnce(&MarketState) -> Result<T, DashError> + Send + 'static,
) -> (Option<SnapshotInfo>, Result<T, DashError>) {
    match app.state(at).await {
        Ok((state, info)) => (info, compute(move || work(&state)).await),
        Err(error) => (None, Err(error)),
    }
}

fn api<T: Serialize>(result: Result<T, DashError>) -> Response {
    match result {
        Ok(value) => Json(value).into_response(),
        Err(error) => ApiError(error).into_response(),
    }
}

async fn market_html(State(app): Shared, Query(at): Query<At>) -> Response {
    let (info, result) = with_state(&app, at.at, pages::market_page).await;
    let body = result.map(|p| html::market(&p, &info));
    page(&app, &info, html::View::Market, body)
}

async fn market_api(State(app): Shared, Query(at): Query<At>) -> Response {
    api(with_state(&app, at.at, pages::market_page).await.1)
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct PositionsParams {
    at: Option<usize>,
    sort: pages::SortKey,
    /// Descending when present and not empty.
    desc: Option<String>,
    status: pages::StatusFilter,
    asset: Option<String>,
    q: Option<String>,
    page: Option<usize>,
}

async fn positions(
    app: &App,
    params: PositionsParams,
) -> (
    Option<SnapshotInfo>,
    Result<pages::PositionsPage, DashError>,
) {
    let query = pages::PositionsQuery {
        sort: params.sort,
        desc: params
            .desc
            .is_some_and(|d| !d.is_empty() && d != "false" && d != "0"),
        status: params.status,
        asset: params.asset,
        q: params.q,
        page: params.page.unwrap_or(1),
    };
    with_state(app, params.at, move |state| {
        Ok(pages::positions_page(state, pages::summaries(state), query))
    })
    .await
}

async fn positions_html(State(app): Shared, Query(params): Query<PositionsParams>) -> Response {
    let (info, result) = positions(&app, params).await;
    let body = result.map(|p| html::positions(&p, &info));
    page(&app, &info, html::View::Positions, body)
}

async fn positions_api(State(app): Shared, Query(params): Query<PositionsParams>) -> Response {
    api(positions(&app, params).await.1)
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct PositionParams {
    at: Option<usize>,
    asset: Option<String>,
    #[serde(rename = "move")]
    move_pct: Option<String>,
}

fn parse_percent(text: Option<&str>) -> Result<Option<f64>, DashError> {
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(None),
        Some(text) => text
            .trim_end_matches('%')
            .parse::<f64>()
            .map(Some)
            .map_err(|_| DashError::bad_request(format!("{text:?} is not a percent"))),
    }
}

async fn position(
    app: &App,
    address: String,
    params: PositionParams,
) -> (
    Option<SnapshotInfo>,
    Result<(String, pages::PositionPage), DashError>,
) {
    let move_pct = match parse_percent(params.move_pct.as_deref()) {
        Ok(m) => m,
        Err(error) => return (None, Err(error)),
    };
    let query = pages::WhatIfQuery {
        asset: params.asset,
        move_pct,
    };
    with_state(app, params.at, move |state| {
        pages::position_page(state, &address, &query).map(|p| (address, p))
    })
    .await
}

async fn position_html(
    State(app): Shared,
    Path(address): Path<String>,
    Query(params): Query<PositionParams>,
) -> Response {
    let (info, result) = position(&app, address, params).await;
    let body = result.map(|(address, p)| html::position(&address, &p, &info));
    page(&app, &info, html::View::Positions, body)
}

async fn position_api(
    State(app): Shared,
    Path(address): Path<String>,
    Query(params): Query<PositionParams>,
) -> Response {
    api(position(&app, address, params).await.1.map(|(_, p)| p))
}

/// `?asset=SOL&asset=BTC` (the form's checkboxes) or `?assets=SOL,BTC`, `&shock=-40`, `&at=N`.
async fn stress(
    app: &App,
    pairs: Vec<(String, String)>,
) -> (Option<SnapshotInfo>, Result<pages::StressPage, DashError>) {
    let mut assets: Vec<String> = vec![];
    let mut shock = None;
    let mut at = None;
    for (key, value) in pairs {
        match key.as_str() {
            "asset" | "assets" => assets.extend(
                value
                    .split(',')
                    .map(str::trim)
                    .filter(|v| !v.is_empty())
                    .map(String::from),
            ),
            "shock" => shock = Some(value),
            "at" => match value.parse() {
                Ok(index) => at = Some(index),
                Err(_) => {
                    return (
                        None,
                        Err(DashError::bad_request(format!(
                            "at={value:?} is not a snapshot number"
                        ))),
                    )
                }
            },
            _ => {}
        }
    }
    let shock = match parse_percent(shock.as_deref()) {
        Ok(s) => s,
        Err(error) => return (None, Err(error)),
    };
    let query = pages::StressQuery {
        assets: (!assets.is_empty()).then(|| assets.join(",")),
        shock,
    };
    with_state(app, at, move |state| pages::stress_page(state, &query)).await
}

async fn stress_html(State(app): Shared, Query(pairs): Query<Vec<(String, String)>>) -> Response {
    let (info, result) = stress(&app, pairs).await;
    let body = result.map(|p| html::stress(&p, &info));
    page(&app, &info, html::View::Stress, body)
}

async fn stress_api(State(app): Shared, Query(pairs): Query<Vec<(String, String)>>) -> Response {
    api(stress(&app, pairs).await.1)
}

async fn snapshots_api(State(app): Shared) -> Response {
    match &app.source {
        Source::Recorded(snapshots) => Json(
            snapshots
                .iter()
                .enumerate()
                .map(|(index, s)| {
                    serde_json::json!({
                        "index": index,
                        "label": s.label,
                        "now": s.state.view.now,
                        "obligations": s.state.obligations.len(),
                    })
                })
                .collect::<Vec<_>>(),
        )
        .into_response(),
        Source::Live(_) => Json(Vec::<serde_json::Value>::new()).into_response(),
    }
}

async fn style() -> Response {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        html::STYLE,
    )
        .into_response()
}

async fn script() -> Response {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        html::SCRIPT,
    )
        .into_response()
}

async fn not_found(State(app): Shared, uri: axum::http::Uri) -> Response {
    let error = DashError::not_found(format!("no page at {}", uri.path()));
    if uri.path().starts_with("/api/") {
        return ApiError(error).into_response();
    }
    let frame = html::Frame {
        origin: app.origin(),
        snapshot: None,
        view: html::View::Market,
    };
    error_page(&frame, &error)
}

/// The dashboard's routes over `source`.
pub fn router(source: Source) -> Router {
    let app = Arc::new(App { source });
    Router::new()
        .route("/", get(market_html))
        .route("/positions", get(positions_html))
        .route("/positions/{address}", get(position_html))
        .route("/stress", get(stress_html))
        .route("/api/market", get(market_api))
        .route("/api/positions", get(positions_api))
        .route("/api/positions/{address}", get(position_api))
        .route("/api/stress", get(stress_api))
        .route("/api/snapshots", get(snapshots_api))
        .route("/assets/style.css", get(style))
        .route("/assets/app.js", get(script))
        .fallback(not_found)
        .with_state(app)
}

/// Serves `source` on `listener` until the process ends.
pub async fn serve(listener: tokio::net::TcpListener, source: Source) -> std::io::Result<()> {
    axum::serve(listener, router(source)).await
}
