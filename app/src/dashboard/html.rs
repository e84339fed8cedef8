//! The dashboard's pages as HTML (maud). Every number comes formatted from [`super::pages`];
//! elements a test or a script reads carry a `data-test` attribute.

use maud::{html, Markup, DOCTYPE};

use super::pages::{
    stress_cells, MarketPage, PositionPage, PositionsPage, SortKey, StatusFilter, StressPage,
    WhatIf, SWEEP_BPS,
};
use super::svg::{self, Axes, Bar, Marker, Series};
use super::{DashError, SnapshotInfo};
use crate::format::usd;

/// Which tab is current.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    Market,
    Positions,
    Stress,
}

/// What every page shows around its body.
pub struct Frame {
    pub origin: String,
    pub snapshot: Option<SnapshotInfo>,
    pub view: View,
}

/// The stylesheet (`/assets/style.css`): a light and a dark theme, the dark one by the system's
/// preference or the toggle.
pub const STYLE: &str = include_str!("style.css");
/// The page script (`/assets/app.js`): the theme toggle, auto-submitting controls and the time
/// slider. Pages work without it (forms have buttons).
pub const SCRIPT: &str = include_str!("app.js");

/// Percent-encodes a query value.
fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// `path` with `params` and the snapshot index of `info`.
pub fn link(path: &str, info: &Option<SnapshotInfo>, params: &[(&str, String)]) -> String {
    let mut pairs: Vec<String> = params
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}", encode(v)))
        .collect();
    if let Some(info) = info {
        pairs.push(format!("at={}", info.index));
    }
    if pairs.is_empty() {
        path.to_string()
    } else {
        format!("{path}?{}", pairs.join("&"))
    }
}

fn short(address: &str) -> String {
    if address.len() > 12 {
        format!("{}…{}", &address[..4], &address[address.len() - 4..])
    } else {
        address.to_string()
    }
}

fn percent(bps: i64) -> String {
    format!("{:+}%", bps as f64 / 100.0)
}

/// The page around `body`.
pub fn layout(frame: &Frame, body: Markup) -> Markup {
    let info = &frame.snapshot;
    let tab = |view: View, path: &str, name: &str| {
        html! {
            a href=(link(path, info, &[])) class=[(frame.view == view).then_some("current")] { (name) }
        }
    };
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { "Ballast dashboard" }
                link rel="stylesheet" href="/assets/style.css";
                script src="/assets/app.js" defer {}
            }
            body {
                header {
                    div class="brand" { b { "Ballast" } span class="muted" { (frame.origin) } }
                    nav {
                        (tab(View::Market, "/", "Market"))
                        (tab(View::Positions, "/positions", "Positions"))
                        (tab(View::Stress, "/stress", "Stress test"))
                    }
                    button type="button" id="theme" title="Switch between light and dark" { "◐ theme" }
                }
                @if let Some(info) = info {
                    form class="timeline" method="get" data-test="timeline" {
                        label for="at" { "Story " (info.index + 1) " / " (info.count) ": " }
                        strong data-test="snapshot-label" { (info.label) }
                        input type="range" id="at" name="at" min="0" max=(info.count.saturating_sub(1))
                            value=(info.index) data-timeline;
                        noscript { button { "show" } }
                    }
                }
                main { (body) }
                footer class="muted" {
                    "Figures computed with the Ballast program's own valuation, sizing and liquidation code. "
                    "JSON of every view under " code { "/api" } "."
                }
            }
        }
    }
}

/// An error's page body.
pub fn error(error: &DashError) -> Markup {
    html! {
        section class="error" data-test="error" {
            h1 { (error.status.as_u16()) " — " (error.title) }
            p data-test="error-message" { (error.message) }
            p { a href="/" { "Back to the market" } }
        }
    }
}

// ----- market --------------------------------------------------------------------------------

pub fn market(page: &MarketPage, info: &Option<SnapshotInfo>) -> Markup {
    html! {
        h1 { "Market " span class="mono" data-test="market" { (page.market) } }
        p class="muted" {
            (page.reserves.len()) " reserves, " (page.obligations) " obligations · clock "
            span data-test="clock" { (page.now) }
            " · " a href=(link("/positions", info, &[])) { "positions" }
        }
        div class="scroll" {
            table class="numbers" data-test="reserves" {
                thead { tr {
                    th { "asset" } th { "price" } th { "deposits" } th { "borrows" } th { "available" }
                    th { "utilization" } th { "borrow APR" } th { "supply APR" } th { "share value" }
                    th { "bad-debt fund" } th { "covered by fund" } th { "socialized" }
                    th { "fees unclaimed" } th { "fees total" } th { "flash fee" } th { "status" }
                } }
                tbody {
                    @for r in &page.reserves {
                        tr data-reserve=(r.row.symbol) {
                            th { (r.row.symbol) }
                            td {
                                @match &r.price {
                                    Some(price) => span data-test="price" { (price) },
                                    None => span class="bad" data-test="price" { (r.price_error.clone().unwrap_or_default()) },
                                }
                                @if let Some(age) = r.oracle_age_secs {
                                    br; small class="muted" { (age) " s old" }
                                }
                                @if let Some(source) = &r.price_source {
                                    br; small class="muted" data-test="price-source" { (source) }
                                }
                            }
                            td data-test="deposits" { (r.row.deposits) }
                            td data-test="borrows" { (r.row.borrows) }
                            td { (r.row.available) }
                            td data-test="utilization" { (r.row.utilization) }
                            td data-test="borrow-apr" { (r.row.borrow_apr) }
                            td data-test="supply-apr" { (r.row.supply_apr) }
                            td data-test="share-value" { (r.row.share_value) }
                            td {
                                span data-test="fund" { (r.row.fund) } " " (r.row.symbol)
                                @if let Some(fund_usd) = &r.fund_usd { br; small class="muted" { (fund_usd) } }
                            }
                            td data-test="covered" { (r.row.fund_covered) }
                            td data-test="socialized" class=[(r.row.raw.socialized > 0).then_some("bad")] { (r.row.socialized) }
                            td { (r.row.protocol_fees) }
                            td { (r.row.protocol_fees_total) }
                            td title=(format!("{} paid in flash-loan fees since listing", r.row.flash_loan_fees_total)) { (r.row.flash_loan_fee) }
                            td class=[(r.row.status != "active").then_some("bad")] { (r.row.status) }
                        }
                    }
                }
            }
        }
        h2 { "Rate curves" }
        p class="muted" { "Borrow APR by utilization (the program's curve); the dot is the reserve now." }
        div class="cards" {
            @for r in &page.reserves {
                div class="card" {
                    h3 { (r.row.symbol) " " small class="muted" { "kink at " (format!("{:.0}%", r.optimal_utilization_pct)) } }
                    (svg::line_chart(
                        &[Series {
                            name: "borrow APR",
                            class: "rate",
                            points: r.curve.iter().map(|p| (p.utilization_pct, p.borrow_apr_pct)).collect(),
                            dashed: false,
                        }],
                        &Axes {
                            x_label: "utilization",
                            y_label: "APR",
                            x_tick: &|x| format!("{x:.0}%"),
                            y_tick: &|y| format!("{y:.0}%"),
                        },
                        (0.0, 100.0),
                        Some(&Marker {
                            x: r.utilization_pct,
                            y: Some(r.borrow_apr_pct),
                            label: format!("now: {} at {}", r.row.borrow_apr, r.row.utilization),
                        }),
                        (320.0, 180.0),
                        "rate-curve",
                    ))
                    p class="muted" { "now " (r.row.borrow_apr) " at " (r.row.utilization) " utilization" }
                }
            }
        }
    }
}

// ----- positions -----------------------------------------------------------------------------

fn hf_class(row_liquidatable: bool, health: &str) -> &'static str {
    if row_liquidatable {
        return "bad";
    }
    match health.parse::<f64>() {
        Ok(h) if h < 1.25 => "warn",
        _ => "",
    }
}

pub fn positions(page: &PositionsPage, info: &Option<SnapshotInfo>) -> Markup {
    let q = &page.query;
    let bars: Vec<Bar> = page
        .histogram
        .iter()
        .enumerate()
        .map(|(i, b)| Bar {
            label: b.label,
            count: b.count,
            class: match i {
                0 => "bad",
                1..=3 => "warn",
                _ => "good",
            },
        })
        .collect();
    let params = |page_number: usize| -> Vec<(&str, String)> {
        vec![
            ("sort", sort_name(q.sort).to_string()),
            ("desc", if q.desc { "1".into() } else { String::new() }),
            ("status", status_name(q.status).to_string()),
            ("asset", q.asset.clone().unwrap_or_default()),
            ("q", q.q.clone().unwrap_or_default()),
            ("page", page_number.to_string()),
        ]
    };
    html! {
        h1 { "Positions" }
        p class="muted" data-test="positions-count" {
            (page.total) " obligations · " (page.without_debt) " without debt · "
            span class=[(page.unpriceable > 0).then_some("bad")] { (page.unpriceable) " cannot be priced" }
        }
        (svg::bar_chart(&bars, (760.0, 190.0), "hf-histogram"))
        form class="controls" method="get" action="/positions" data-test="positions-filter" {
            @if let Some(info) = info { input type="hidden" name="at" value=(info.index); }
            label { "show " select name="status" data-autosubmit {
                @for (s, name) in [(StatusFilter::All, "all"), (StatusFilter::Borrowing, "with debt"), (StatusFilter::Risk, "HF < 1.25"), (StatusFilter::Liquidatable, "liquidatable"), (StatusFilter::Unpriceable, "cannot be priced")] {
                    option value=(status_name(s)) selected[s == q.status] { (name) }
                }
            } }
            label { "asset " select name="asset" data-autosubmit {
                option value="" { "any" }
                @for a in &page.assets {
                    option value=(a) selected[q.asset.as_deref() == Some(a.as_str())] { (a) }
                }
            } }
            label { "address " input type="search" name="q" value=(q.q.clone().unwrap_or_default()) placeholder="obligation or owner"; }
            label { "sort by " select name="sort" data-autosubmit {
                @for (s, name) in [(SortKey::Health, "health factor"), (SortKey::Debt, "debt"), (SortKey::Collateral, "collateral"), (SortKey::Used, "borrow limit used"), (SortKey::Address, "address")] {
                    option value=(sort_name(s)) selected[s == q.sort] { (name) }
                }
            } }
            label { input type="checkbox" name="desc" value="1" checked[q.desc] data-autosubmit; " descending" }
            button { "apply" }
        }
        p class="muted" data-test="matching" { (page.matching) " matching · page " (page.page) " of " (page.pages) }
        div class="scroll" {
            table class="numbers" data-test="positions" {
                thead { tr {
                    th { "obligation" } th { "owner" } th { "collateral" } th { "debt" } th { "HF" }
                    th { "borrow limit used" } th { "liquidation price (move to reach it)" }
                } }
                tbody {
                    @for row in &page.rows {
                        tr data-obligation=(row.obligation) {
                            td class="mono" { a href=(link(&format!("/positions/{}", row.obligation), info, &[])) title=(row.obligation) { (short(&row.obligation)) } }
                            td class="mono" title=(row.owner) { (short(&row.owner)) }
                            @if let Some(error) = &row.error {
                                td colspan="5" class="bad" data-test="error" { "cannot be priced: " (error) }
                            } @else {
                                td data-test="collateral" { (row.collateral_usd) }
                                td data-test="debt" { (row.debt_usd) }
                                td data-test="hf" class=(hf_class(row.liquidatable, &row.health_factor)) { (row.health_factor) }
                                td data-test="used" { (row.borrow_limit_used.clone().unwrap_or_else(|| "n/a".into())) }
                                td {
                                    @for p in &row.liquidation {
                                        @if let Some(price) = &p.liquidation_price {
                                            span class="chip" data-test="liquidation-price" data-asset=(p.asset) {
                                                (p.asset) " " (price) " (" (p.move_to_liquidation.clone().unwrap_or_default()) ")"
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        nav class="pager" {
            @if page.page > 1 { a href=(link("/positions", info, &params(page.page - 1))) { "← previous" } }
            @if page.page < page.pages { a href=(link("/positions", info, &params(page.page + 1))) data-test="next" { "next →" } }
        }
    }
}

fn sort_name(sort: SortKey) -> &'static str {
    match sort {
        SortKey::Health => "health",
        SortKey::Debt => "debt",
        SortKey::Collateral => "collateral",
        SortKey::Used => "used",
        SortKey::Address => "address",
    }
}

fn status_name(status: StatusFilter) -> &'static str {
    match status {
        StatusFilter::All => "all",
        StatusFilter::Liquidatable => "liquidatable",
        StatusFilter::Risk => "risk",
        StatusFilter::Unpriceable => "unpriceable",
        StatusFilter::Borrowing => "borrowing",
    }
}

// ----- one position --------------------------------------------------------------------------

fn report_table(report: &crate::wallet::HealthReport, test_prefix: &str) -> Markup {
    html! {
        div class="figures" {
            div { small { "health factor" } b data-test=(format!("{test_prefix}hf")) class=(hf_class(report.liquidatable, &report.health_factor)) { (report.health_factor) } }
            div { small { "strict HF (borrowing)" } b { (report.strict_health_factor.clone().unwrap_or_else(|| "n/a".into())) } }
            div { small { "collateral" } b data-test=(format!("{test_prefix}collateral")) { (report.collateral_usd) } }
            div { small { "debt" } b data-test=(format!("{test_prefix}debt")) { (report.debt_usd) } }
            div { small { "borrow limit" } b data-test=(format!("{test_prefix}borrow-limit")) {
                @if report.strict_health_factor.is_some() { (report.borrow_limit_usd) } @else { "n/a" }
            } }
            div { small { "status" } b class=[report.liquidatable.then_some("bad")] { @if report.liquidatable { "liquidatable" } @else { "healthy" } } }
            div { small { "mode" } b data-test=(format!("{test_prefix}mode")) { (report.mode) } }
        }
        table class="numbers" data-test=(format!("{test_prefix}positions")) {
            thead { tr { th { "asset" } th { "position" } th { "amount" } th { "price" } th { "value" } th { "collateral" } th { "liquidation price" } th { "move to reach it" } } }
            tbody {
                @for p in &report.positions {
                    tr data-asset=(p.asset) data-kind=(p.kind) {
                        th { (p.asset) }
                        td { (p.kind) }
                        td data-test="amount" { (p.amount) }
                        td data-test="price" { (p.price) }
                        td data-test="value" { (p.value_usd) }
                        td { @if p.kind == "deposit" { @if p.collateral { "yes" } @else { "no" } } }
                        td data-test="liquidation-price" { (p.liquidation_price.clone().unwrap_or_default()) }
                        td data-test="move" { (p.move_to_liquidation.clone().unwrap_or_default()) }
                    }
                }
            }
        }
    }
}

pub fn position(address: &str, page: &PositionPage, info: &Option<SnapshotInfo>) -> Markup {
    html! {
        p { a href=(link("/positions", info, &[])) { "← all positions" } }
        h1 { "Obligation " span class="mono" data-test="obligation" { (address) } }
        @if let Some(report) = &page.report {
            p class="muted" { "owner " span class="mono" { (report.owner) } " · borrow limit used "
                span data-test="used" { (page.borrow_limit_used.clone().unwrap_or_else(|| "n/a".into())) } }
            (report_table(report, ""))
        }
        @if let Some(error) = &page.error {
            p class="bad" data-test="error" { "cannot be priced now: " (error) }
        }
        @if let Some(what_if) = &page.what_if {
            h2 { "What if a price moves?" }
            form class="controls" method="get" data-test="what-if" {
                @if let Some(info) = info { input type="hidden" name="at" value=(info.index); }
                label { "asset " select name="asset" data-autosubmit {
                    @for a in &page.assets { option value=(a) selected[*a == what_if.asset] { (a) } }
                } }
                label { "move "
                    input type="range" name="move" min="-95" max="100" step="1" value=(what_if.move_bps / 100) data-autosubmit data-mirror="what-if-move";
                    output id="what-if-move" { (percent(what_if.move_bps)) }
                }
                button { "show" }
            }
            (what_if_result(what_if))
        }
    }
}

fn what_if_result(w: &WhatIf) -> Markup {
    html! {
        section class="what-if" data-test="what-if-result" {
            p { (w.asset) " " span data-test="what-if-price-before" { (w.price_before) } " → "
                b data-test="what-if-price-after" { (w.price_after) } " (" (percent(w.move_bps)) ", every feed republished now)" }
            @if let Some(report) = &w.report { (report_table(report, "what-if-")) }
            @if let Some(error) = &w.error { p class="bad" { "cannot be priced: " (error) } }
            @match &w.liquidation {
                Some(l) => {
                    p data-test="what-if-liquidation" {
                        "A liquidation at this price would repay "
                        b data-test="what-if-repay" { (l.repay) " " (l.repay_asset) } " (" (l.repay_usd) ") and seize "
                        b data-test="what-if-seize" { (l.seize) " " (l.seize_asset) } " (" (l.seize_usd) ", bonus " (l.bonus) ")"
                        @if l.as_shares { ", taken as shares: the reserve's liquidity cannot pay it out" }
                        "."
                    }
                }
                None => { p class="muted" data-test="what-if-liquidation" { "Not liquidatable at this price." } }
            }
        }
    }
}

// ----- stress --------------------------------------------------------------------------------

pub fn stress(page: &StressPage, info: &Option<SnapshotInfo>) -> Markup {
    let o = &page.outcome;
    let selected: Vec<&str> = page
        .assets
        .iter()
        .filter(|a| a.selected)
        .map(|a| a.symbol.as_str())
        .collect();
    let wad = ballast::math::WAD as f64;
    let points = |f: &dyn Fn(&crate::stress::SweepPoint) -> u128| -> Vec<(f64, f64)> {
        page.sweep
            .iter()
            .map(|p| (-(p.move_bps as f64) / 100.0, f(p) as f64 / wad))
            .collect()
    };
    let series = [
        Series {
            name: "bad debt",
            class: "bad-debt",
            points: points(&|p| p.bad_debt_usd_wad),
            dashed: false,
        },
        Series {
            name: "socialized (depositors lose)",
            class: "socialized",
            points: points(&|p| p.socialized_usd_wad),
            dashed: false,
        },
        Series {
            name: "bad-debt funds' balance",
            class: "fund",
            points: points(&|p| p.fund_before_usd_wad),
            dashed: true,
        },
    ];
    html! {
        h1 { "Stress test" }
        p class="muted" {
            "Moves the chosen assets' prices, then runs the reference keeper's liquidation cascade on a copy of the market with the program's own valuation, sizing and write-off. Nothing is sent."
        }
        form class="controls" method="get" action="/stress" data-test="stress-form" {
            @if let Some(info) = info { input type="hidden" name="at" value=(info.index); }
            @for a in &page.assets {
                label { input type="checkbox" name="asset" value=(a.symbol) checked[a.selected] data-autosubmit; " " (a.symbol) }
            }
            label { "shock "
                input type="range" name="shock" min="-95" max="-5" step="5" value=(page.move_bps / 100) data-autosubmit data-mirror="shock-value" data-test="shock";
                output id="shock-value" { (percent(page.move_bps)) }
            }
            button { "run" }
        }
        h2 data-test="stress-title" { (selected.join(" + ")) " " (percent(page.move_bps)) }
        div class="figures" data-test="stress-totals" {
            div { small { "liquidations" } b data-test="total-liquidations" { (o.liquidations.len()) } }
            div { small { "written off" } b data-test="total-written-off" { (o.written_off_obligations) " obligations" } }
            div { small { "bad debt" } b data-test="total-bad-debt" { (usd(o.bad_debt_usd_wad)) } }
            div { small { "covered by funds" } b data-test="total-covered" { (usd(o.covered_usd_wad)) } }
            div { small { "socialized" } b data-test="total-socialized" class=[(o.socialized_usd_wad > 0).then_some("bad")] { (usd(o.socialized_usd_wad)) } }
            div { small { "funds before" } b data-test="total-fund-before" { (page.fund_usd) } }
        }
        @if o.unpriceable > 0 || o.still_liquidatable > 0 || !o.failed.is_empty() {
            p class="warn" data-test="stress-leftovers" {
                (o.unpriceable) " cannot be priced, " (o.still_liquidatable) " still liquidatable, " (o.failed.len()) " failed"
            }
        }
        div class="scroll" {
            table class="numbers" data-test="stress-reserves" {
                thead { tr {
                    th { "reserve" } th { "move" } th title="obligations liquidated for debt in this reserve" { "liquidated (debt here)" } th { "debt repaid" } th { "bad debt" }
                    th { "covered by fund" } th { "socialized" } th { "fund after" } th { "share value before" } th { "share value after" }
                } }
                tbody {
                    @for r in &o.reserves {
                        @let cells = stress_cells(r);
                        tr data-reserve=(r.symbol) {
                            th { (r.symbol) @if r.frozen_after { " " span class="bad" { "frozen" } } }
                            td { (percent(r.move_bps)) }
                            @for (i, (name, cell)) in ["liquidated", "repaid", "bad-debt", "covered", "socialized", "fund-after", "share-before", "share-after"].iter().zip(cells.iter()).enumerate() {
                                td data-test=(name) class=[(i == 4 && r.socialized_wad > 0).then_some("bad")] { (cell) }
                            }
                        }
                    }
                }
            }
        }
        h2 { "Bad debt by shock size" }
        p data-test="depositors-lose" {
            @match page.depositors_lose_from_bps {
                Some(bps) => { "Depositors start losing money at a " b class="bad" { (percent(bps)) } " move of " (selected.join(" + ")) " (of the levels drawn)." }
                None => { "The funds absorb every level drawn, down to " (percent(*SWEEP_BPS.last().unwrap_or(&0))) ": no depositor loses." }
            }
        }
        (svg::line_chart(
            &series,
            &Axes {
                x_label: "price drop of the chosen assets",
                y_label: "USD",
                x_tick: &|x| if x == 0.0 { "0%".into() } else { format!("−{x:.0}%") },
                y_tick: &|y| compact_usd(y),
            },
            (0.0, 100.0),
            Some(&Marker { x: -(page.move_bps as f64) / 100.0, y: None, label: percent(page.move_bps) }),
            (820.0, 300.0),
            "stress-chart",
        ))
    }
}

/// `$1.2M`-style tick labels.
fn compact_usd(value: f64) -> String {
    let (scaled, unit) = match value.abs() {
        v if v >= 1e9 => (value / 1e9, "B"),
        v if v >= 1e6 => (value / 1e6, "M"),
        v if v >= 1e3 => (value / 1e3, "k"),
        _ => (value, ""),
    };
    let text = format!("{scaled:.1}");
    format!("${}{unit}", text.trim_end_matches(".0"))
}
