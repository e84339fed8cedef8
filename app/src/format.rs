//! Amounts in token units with decimals, USD figures, and plain-text tables.

use ballast::math::WAD;

/// Parses `"12.5"` into base units of a mint with `decimals` (exact; extra digits are an error).
pub fn parse_amount(text: &str, decimals: u8) -> anyhow::Result<u64> {
    u64::try_from(parse_units(text, decimals)?).map_err(|_| anyhow::anyhow!("amount too large"))
}

/// Parses a decimal string into units of `10^-decimals` (u128: USD WADs fit).
pub fn parse_units(text: &str, decimals: u8) -> anyhow::Result<u128> {
    let text = text.trim().replace('_', "");
    let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
    anyhow::ensure!(
        !whole.is_empty() || !fraction.is_empty(),
        "not an amount: {text:?}"
    );
    anyhow::ensure!(
        fraction.len() <= decimals as usize,
        "{text} has more than {decimals} decimals"
    );
    anyhow::ensure!(
        whole
            .chars()
            .chain(fraction.chars())
            .all(|c| c.is_ascii_digit()),
        "not an amount: {text:?}"
    );
    let scale = 10u128.pow(u32::from(decimals));
    let whole: u128 = if whole.is_empty() { 0 } else { whole.parse()? };
    let fraction: u128 = if fraction.is_empty() {
        0
    } else {
        fraction.parse::<u128>()? * 10u128.pow(u32::from(decimals) - fraction.len() as u32)
    };
    let units = whole
        .checked_mul(scale)
        .and_then(|w| w.checked_add(fraction))
        .ok_or_else(|| anyhow::anyhow!("amount too large"))?;
    Ok(units)
}

/// Base units as a decimal string with all `decimals` digits (`1500000`, 6 → `1.500000`).
pub fn amount(units: u128, decimals: u8) -> String {
    if decimals == 0 {
        return units.to_string();
    }
    let scale = 10u128.pow(u32::from(decimals));
    format!(
        "{}.{:0width$}",
        units / scale,
        units % scale,
        width = decimals as usize
    )
}

/// Base units as a short human figure (`1,234.56`), for tables and the demo.
pub fn amount_short(units: u128, decimals: u8) -> String {
    let value = units as f64 / 10f64.powi(i32::from(decimals));
    let digits = if value.abs() >= 1_000.0 {
        2
    } else if value.abs() >= 1.0 {
        4
    } else {
        6
    };
    group(&format!("{value:.digits$}"))
}

/// A USD WAD as `$1,234.56`.
pub fn usd(value_wad: u128) -> String {
    let cents = value_wad / (WAD / 100);
    group(&format!("${}.{:02}", cents / 100, cents % 100))
}

/// A WAD ratio as a decimal (`1.0412`); `∞` for the no-debt marker.
pub fn wad_ratio(value_wad: u128) -> String {
    if value_wad == u128::MAX {
        return "∞".into();
    }
    format!("{:.4}", value_wad as f64 / WAD as f64)
}

/// A WAD ratio as a percentage (`4.12%`).
pub fn wad_percent(value_wad: u128) -> String {
    format!("{:.2}%", value_wad as f64 / WAD as f64 * 100.0)
}

/// Bps as a percentage.
pub fn bps(value: u64) -> String {
    format!("{:.2}%", value as f64 / 100.0)
}

/// Thousands separators in the integer part of a decimal string.
fn group(text: &str) -> String {
    let (sign, rest) = match text.strip_prefix('$') {
        Some(rest) => ("$", rest),
        None => ("", text),
    };
    let (neg, rest) = match rest.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", rest),
    };
    let (int, frac) = rest.split_once('.').unwrap_or((rest, ""));
    let mut grouped = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    if frac.is_empty() {
        format!("{neg}{sign}{grouped}")
    } else {
        format!("{neg}{sign}{grouped}.{frac}")
    }
}

/// A plain-text table: a header row and rows, columns padded; numbers right-aligned.
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let columns = header.len();
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate().take(columns) {
            widths[i] = widths[i].max(cell.chars().count());
        }
    }
    let render = |cells: Vec<String>, out: &mut String| {
        let line: Vec<String> = cells
            .iter()
            .enumerate()
            .map(|(i, cell)| {
                let pad = widths[i].saturating_sub(cell.chars().count());
                let numeric = cell
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_digit() || c == '$' || c == '-' || c == '∞');
                if numeric && i > 0 {
                    format!("{}{cell}", " ".repeat(pad))
                } else {
                    format!("{cell}{}", " ".repeat(pad))
                }
            })
            .collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
    };
    let mut out = String::new();
    render(header.iter().map(|h| h.to_string()).collect(), &mut out);
    render(widths.iter().map(|w| "-".repeat(*w)).collect(), &mut out);
    for row in rows {
        render(row.clone(), &mut out);
    }
    out
}

/// A short form of an address for tables (`Abcd…wxyz`).
pub fn short(key: &anchor_lang::prelude::Pubkey) -> String {
    let text = key.to_string();
    format!("{}…{}", &text[..4], &text[text.len() - 4..])
}

/// The name of an oracle source kind (`ORACLE_SOURCE_*`).
pub fn oracle_kind(source: u8) -> &'static str {
    match source {
        ballast::state::ORACLE_SOURCE_PYTH_LEGACY => "Pyth",
        ballast::state::ORACLE_SOURCE_PYTH_PULL => "Pyth pull",
        ballast::state::ORACLE_SOURCE_SWITCHBOARD => "Switchboard",
        _ => "none",
    }
}

/// Which source of a reserve with `config` a price came from, in words: "Pyth", "Switchboard
/// (fallback)", or that the two disagree and the conservative one is used.
pub fn source_label(
    config: &ballast::state::ReserveConfig,
    source: ballast::oracle::PriceSource,
) -> String {
    use ballast::oracle::PriceSource;
    let (primary, fallback) = (
        oracle_kind(config.oracle.source),
        oracle_kind(config.fallback_oracle.source),
    );
    match source {
        PriceSource::Primary => primary.to_string(),
        PriceSource::Fallback => format!("{fallback} (fallback)"),
        PriceSource::Both => format!("{primary} and {fallback} disagree: the conservative one"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_parse_and_print_in_token_units() {
        assert_eq!(parse_amount("1.5", 6).unwrap(), 1_500_000);
        assert_eq!(parse_amount("1_000", 0).unwrap(), 1_000);
        assert_eq!(parse_amount(".25", 2).unwrap(), 25);
        assert!(parse_amount("1.0000001", 6).is_err());
        assert!(parse_amount("abc", 6).is_err());
        assert!(parse_amount("99999999999999999999", 9).is_err());
        assert_eq!(amount(1_500_000, 6), "1.500000");
        assert_eq!(amount_short(123_456_789_000, 6), "123,456.79");
        assert_eq!(usd(1_234_567 * WAD / 100), "$12,345.67");
    }
}
