//! Charts drawn as inline SVG in Rust: a line chart (the stress sweep, the rate curves) and a bar
//! chart (the HF histogram). No chart library: these are a few dozen elements each, and drawing
//! them here keeps the page free of scripts fetched or bundled for it.

use maud::{html, Markup};

/// One line of a chart; `class` picks its colour in the stylesheet.
pub struct Series<'a> {
    pub name: &'a str,
    pub class: &'a str,
    pub points: Vec<(f64, f64)>,
    /// Dashed (a reference level rather than a measured curve).
    pub dashed: bool,
}

/// Axis labelling.
pub struct Axes<'a> {
    pub x_label: &'a str,
    pub y_label: &'a str,
    /// Formats a tick value.
    pub x_tick: &'a dyn Fn(f64) -> String,
    pub y_tick: &'a dyn Fn(f64) -> String,
}

/// A marked point (the current utilization on a rate curve) or a vertical line (the chosen
/// shock) when `y` is `None`.
pub struct Marker {
    pub x: f64,
    pub y: Option<f64>,
    pub label: String,
}

const PAD_LEFT: f64 = 64.0;
const PAD_RIGHT: f64 = 16.0;
const PAD_TOP: f64 = 14.0;
const PAD_BOTTOM: f64 = 40.0;

/// Rounds `max` up to a 1/2/5 × 10ⁿ step multiple for the axis.
fn nice_max(max: f64) -> (f64, f64) {
    if !(max.is_finite() && max > 0.0) {
        return (1.0, 0.25);
    }
    let raw = max / 4.0;
    let magnitude = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * magnitude)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * magnitude);
    ((max / step).ceil() * step, step)
}

/// A line chart of `series` over x in `[x_min, x_max]`, y from 0.
pub fn line_chart(
    series: &[Series],
    axes: &Axes,
    (x_min, x_max): (f64, f64),
    marker: Option<&Marker>,
    (width, height): (f64, f64),
    test_id: &str,
) -> Markup {
    let y_data = series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.1))
        .chain(marker.and_then(|m| m.y))
        .fold(0.0f64, f64::max);
    let (y_max, y_step) = nice_max(y_data);
    let plot_w = width - PAD_LEFT - PAD_RIGHT;
    let plot_h = height - PAD_TOP - PAD_BOTTOM;
    let span = if x_max > x_min { x_max - x_min } else { 1.0 };
    let sx = |x: f64| PAD_LEFT + (x - x_min) / span * plot_w;
    let sy = |y: f64| PAD_TOP + plot_h - y / y_max * plot_h;
    let y_ticks: Vec<f64> = (0..)
        .map(|i| f64::from(i) * y_step)
        .take_while(|y| *y <= y_max + y_step / 2.0)
        .collect();
    let x_ticks: Vec<f64> = (0..=5).map(|i| x_min + span * f64::from(i) / 5.0).collect();
    html! {
        svg class="chart" data-test=(test_id) viewBox=(format!("0 0 {width} {height}"))
            role="img" aria-label=(format!("{} by {}", axes.y_label, axes.x_label)) {
            @for y in &y_ticks {
                line class="grid" x1=(PAD_LEFT) x2=(width - PAD_RIGHT) y1=(sy(*y)) y2=(sy(*y)) {}
                text class="tick" x=(PAD_LEFT - 6.0) y=(sy(*y) + 4.0) text-anchor="end" { ((axes.y_tick)(*y)) }
            }
            @for x in &x_ticks {
                text class="tick" x=(sx(*x)) y=(height - PAD_BOTTOM + 16.0) text-anchor="middle" { ((axes.x_tick)(*x)) }
            }
            line class="axis" x1=(PAD_LEFT) x2=(width - PAD_RIGHT) y1=(sy(0.0)) y2=(sy(0.0)) {}
            line class="axis" x1=(PAD_LEFT) x2=(PAD_LEFT) y1=(PAD_TOP) y2=(sy(0.0)) {}
            text class="label" x=(PAD_LEFT + plot_w / 2.0) y=(height - 6.0) text-anchor="middle" { (axes.x_label) }
            text class="label" x="12" y=(PAD_TOP + plot_h / 2.0) text-anchor="middle"
                transform=(format!("rotate(-90 12 {})", PAD_TOP + plot_h / 2.0)) { (axes.y_label) }
            @if let Some(marker) = marker {
                @match marker.y {
                    Some(y) => {
                        circle class="marker" cx=(sx(marker.x)) cy=(sy(y)) r="4" { title { (marker.label) } }
                    }
                    None => {
                        line class="marker" x1=(sx(marker.x)) x2=(sx(marker.x)) y1=(PAD_TOP) y2=(sy(0.0)) {}
                        text class="tick" x=(sx(marker.x) + 4.0) y=(PAD_TOP + 10.0) { (marker.label) }
                    }
                }
            }
            @for s in series {
                polyline class=(format!("series {}", s.class)) fill="none"
                    stroke-dasharray=[s.dashed.then_some("6 4")]
                    points=(s.points.iter().map(|(x, y)| format!("{:.1},{:.1}", sx(*x), sy(*y))).collect::<Vec<_>>().join(" ")) {}
                @for (x, y) in &s.points {
                    @if !s.dashed {
                        circle class=(format!("dot {}", s.class)) cx=(sx(*x)) cy=(sy(*y)) r="2.5" {}
                    }
                }
            }
        }
        @if series.len() > 1 {
            div class="legend" {
                @for s in series {
                    span { i class=(format!("swatch {}", s.class)) {} (s.name) }
                }
            }
        }
    }
}

/// One bar of a bar chart.
pub struct Bar<'a> {
    pub label: &'a str,
    pub count: usize,
    pub class: &'a str,
}

/// A bar chart of counts (the HF histogram).
pub fn bar_chart(bars: &[Bar], (width, height): (f64, f64), test_id: &str) -> Markup {
    let max = bars.iter().map(|b| b.count).max().unwrap_or(0).max(1) as f64;
    let plot_h = height - PAD_TOP - PAD_BOTTOM;
    let slot = (width - 20.0) / bars.len().max(1) as f64;
    html! {
        svg class="chart" data-test=(test_id) viewBox=(format!("0 0 {width} {height}")) role="img"
            aria-label="obligations by health factor" {
            line class="axis" x1="10" x2=(width - 10.0) y1=(PAD_TOP + plot_h) y2=(PAD_TOP + plot_h) {}
            @for (i, bar) in bars.iter().enumerate() {
                @let h = bar.count as f64 / max * plot_h;
                @let x = 10.0 + slot * i as f64;
                rect class=(format!("bar {}", bar.class)) x=(x + slot * 0.12) y=(PAD_TOP + plot_h - h)
                    width=(slot * 0.76) height=(h) { title { (bar.label) ": " (bar.count) } }
                text class="tick" x=(x + slot / 2.0) y=(PAD_TOP + plot_h - h - 4.0) text-anchor="middle" { (bar.count) }
                text class="tick" x=(x + slot / 2.0) y=(height - PAD_BOTTOM + 16.0) text-anchor="middle" { (bar.label) }
            }
            text class="label" x=(width / 2.0) y=(height - 6.0) text-anchor="middle" { "health factor (obligations with debt)" }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axis_maxima_are_round_and_cover_the_data() {
        assert_eq!(nice_max(0.0), (1.0, 0.25));
        for (max, expected) in [
            (7.3, (8.0, 2.0)),
            (100.0, (100.0, 25.0)),
            (1234.0, (1500.0, 500.0)),
        ] {
            let (top, step) = nice_max(max);
            assert!(top >= max, "{max}: {top}");
            assert_eq!((top, step), expected, "{max}");
        }
    }

    #[test]
    fn a_chart_draws_every_point_and_the_marker() {
        let series = [Series {
            name: "bad debt",
            class: "bad",
            points: vec![(5.0, 0.0), (50.0, 10.0), (95.0, 40.0)],
            dashed: false,
        }];
        let axes = Axes {
            x_label: "shock",
            y_label: "USD",
            x_tick: &|x| format!("{x:.0}"),
            y_tick: &|y| format!("{y:.0}"),
        };
        let marker = Marker {
            x: 40.0,
            y: None,
            label: "−40%".into(),
        };
        let svg = line_chart(
            &series,
            &axes,
            (0.0, 95.0),
            Some(&marker),
            (600.0, 260.0),
            "t",
        )
        .into_string();
        assert_eq!(svg.matches("<circle").count(), 3);
        assert!(svg.contains("−40%"));
        assert!(svg.contains("<polyline"));
    }
}
