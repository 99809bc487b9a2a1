//! Money, credits and metering as exact numbers (PRODUCT.md §6, API.md "AI, credits, usage").
//!
//! Prices, costs and credits are integers of millionths (`Micros`): a price is millionths of a
//! minor currency unit per million tokens, a cost millionths of a minor unit, credits millionths
//! of a credit. Nothing here is a float; a JSON number becomes `Micros` only if it has at most
//! six decimals, and `Micros` is answered as the shortest JSON number that is exactly its value.
//! A call's cost is exact to the millionth of a minor unit: the only rounding, of what lies below
//! a millionth, is up (the ledger never charges less than was spent), and sums are never rounded.

use crate::named::named_enum;
use crate::DomainError;

/// Millionths: `Micros(1_500_000)` is 1.5.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Micros(pub i64);

/// One whole unit in millionths.
pub const MICRO: i64 = 1_000_000;

impl Micros {
    pub const ZERO: Micros = Micros(0);

    /// Whole units.
    pub const fn units(n: i64) -> Micros {
        Micros(n.saturating_mul(MICRO))
    }

    /// A JSON number with at most six decimals, within `0..=max` whole units.
    pub fn from_json(field: &str, value: f64, max_units: i64) -> Result<Micros, DomainError> {
        if !value.is_finite() || value < 0.0 {
            return Err(DomainError::invalid(field, "must be a number of at least 0"));
        }
        if value > max_units as f64 {
            return Err(DomainError::invalid(field, format!("must be at most {max_units}")));
        }
        let scaled = value * MICRO as f64;
        let rounded = scaled.round();
        // A decimal with at most 6 places scales to an integer up to the float's own error.
        if (scaled - rounded).abs() > 1e-6 * scaled.abs().max(1.0) {
            return Err(DomainError::invalid(field, "may have at most 6 decimals"));
        }
        Ok(Micros(rounded as i64))
    }

    /// The value as a JSON number: an integer when whole, else the shortest decimal that reads
    /// back as this value (exact: at most 15 significant digits fit a double without loss).
    pub fn to_json(self) -> serde_json::Value {
        if self.0 % MICRO == 0 {
            serde_json::Value::from(self.0 / MICRO)
        } else {
            serde_json::Value::from(self.0 as f64 / MICRO as f64)
        }
    }

    /// The exact decimal text, e.g. `12.000345` or `3` (for CSV).
    pub fn decimal(self) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        let (whole, frac) = (abs / MICRO as u64, abs % MICRO as u64);
        if frac == 0 {
            format!("{sign}{whole}")
        } else {
            let frac = format!("{frac:06}");
            format!("{sign}{whole}.{}", frac.trim_end_matches('0'))
        }
    }

    pub fn saturating_sub(self, other: Micros) -> Micros {
        Micros(self.0.saturating_sub(other.0))
    }
}

impl std::fmt::Display for Micros {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.decimal())
    }
}

/// Saturating: a sum past the largest amount stays there, so a check against a limit refuses
/// it instead of wrapping round to a small (or negative) number.
impl std::ops::Add for Micros {
    type Output = Micros;
    fn add(self, other: Micros) -> Micros {
        Micros(self.0.saturating_add(other.0))
    }
}

impl std::iter::Sum for Micros {
    fn sum<I: Iterator<Item = Micros>>(iter: I) -> Micros {
        iter.fold(Micros::ZERO, |a, b| a + b)
    }
}

impl serde::Serialize for Micros {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.to_json().serialize(s)
    }
}

/// A model's price: millionths of a minor unit per million input and output tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Price {
    pub input: Micros,
    pub output: Micros,
}

/// What a call costs and what it takes from the ledger.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Charge {
    /// Millionths of a minor unit.
    pub cost: Micros,
    /// Millionths of a credit.
    pub credits: Micros,
}

/// Rounds `n / d` up (both positive).
fn div_ceil(n: i128, d: i128) -> i128 {
    n / d + i128::from(n % d != 0)
}

impl Price {
    /// The exact cost of `input` and `output` tokens, and its credits at `credit_value_minor`
    /// minor units per credit; what lies below a millionth rounds up.
    pub fn charge(self, input: u64, output: u64, credit_value_minor: i64) -> Charge {
        // Saturating: an absurd product stays the largest amount, which no limit admits.
        let scaled = (input as i128)
            .saturating_mul(self.input.0 as i128)
            .saturating_add((output as i128).saturating_mul(self.output.0 as i128));
        let cost = div_ceil(scaled, 1_000_000);
        let credits = div_ceil(cost, credit_value_minor.max(1) as i128);
        Charge { cost: Micros(clamp(cost)), credits: Micros(clamp(credits)) }
    }

    /// The most output tokens a call with `input` tokens can pay for with `available` credits
    /// (`None` when not even the input fits; `u64::MAX` for a free model).
    pub fn affordable_output(self, input: u64, available: Micros, credit_value_minor: i64) -> Option<u64> {
        let input_credits = self.charge(input, 0, credit_value_minor).credits;
        if input_credits > available {
            return None;
        }
        if self.output.0 == 0 {
            return Some(u64::MAX);
        }
        // credits(out) = ceil(ceil((in·pi + out·po) / 1e6) / v) ≤ available ⇔ in·pi + out·po ≤ available·v·1e6
        let budget = (available.0 as i128)
            .saturating_mul(credit_value_minor.max(1) as i128)
            .saturating_mul(1_000_000)
            .saturating_sub((input as i128).saturating_mul(self.input.0 as i128));
        let out = budget / self.output.0 as i128;
        Some(out.clamp(0, u64::MAX as i128) as u64)
    }
}

fn clamp(v: i128) -> i64 {
    v.clamp(0, i64::MAX as i128) as i64
}

/// The fewest output tokens worth a call: with less left than this, a call is refused instead of
/// lowered to a reply too short to be useful.
pub const MIN_REPLY_TOKENS: u64 = 16;

/// How a call's worst case fits what the workspace has left.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fit {
    /// The whole request fits.
    Whole,
    /// Fits with `max_tokens` lowered to this.
    Lowered(u64),
    /// Not even a short reply fits.
    Refused,
}

/// Whether a request of `input` tokens and at most `max_tokens` output tokens fits `available`.
pub fn fit(price: Price, input: u64, max_tokens: u64, available: Micros, credit_value_minor: i64) -> Fit {
    match price.affordable_output(input, available, credit_value_minor) {
        Some(out) if out >= max_tokens => Fit::Whole,
        Some(out) if out >= MIN_REPLY_TOKENS.min(max_tokens) && out > 0 => Fit::Lowered(out),
        _ => Fit::Refused,
    }
}

named_enum!(
    /// What an AI call or a usage event was for.
    Feature, "feature" {
        Simulation => "simulation",
        Scoring => "scoring",
        CourseGeneration => "course_generation",
        TemplateRegeneration => "template_regeneration",
        Narration => "narration",
        Assistant => "assistant",
        External => "external",
    }
);

/// A budget's alert thresholds newly crossed by spending from `before` to `after` of `budget`:
/// the percents `p` with `before < p% ≤ after`, each once.
pub fn crossed_thresholds(percents: &[u32], budget: Micros, before: Micros, after: Micros) -> Vec<u32> {
    if budget.0 <= 0 {
        return Vec::new();
    }
    let at = |p: u32| (budget.0 as i128 * p as i128 + 99) / 100;
    percents.iter().copied().filter(|&p| (before.0 as i128) < at(p) && at(p) <= after.0 as i128).collect()
}

/// The billing period containing `now_ms`: monthly, anchored on the day of month of `anchor_ms`
/// (the organisation's creation; a day past a month's end is that month's last day). Unix ms,
/// `[start, end)`.
pub fn billing_period(anchor_ms: i64, now_ms: i64) -> (i64, i64) {
    use time::{Date, OffsetDateTime};
    let day =
        |ms: i64| OffsetDateTime::from_unix_timestamp(ms.div_euclid(1000)).unwrap_or(OffsetDateTime::UNIX_EPOCH).date();
    let anchor_day = day(anchor_ms).day();
    let start_of = |year: i32, month: time::Month| -> Date {
        let last = month.length(year);
        Date::from_calendar_date(year, month, anchor_day.min(last)).unwrap_or(Date::MIN)
    };
    let today = day(now_ms);
    let mut start = start_of(today.year(), today.month());
    if start > today {
        let prev = today.month().previous();
        let year = if prev == time::Month::December { today.year() - 1 } else { today.year() };
        start = start_of(year, prev);
    }
    let next = start.month().next();
    let next_year = if next == time::Month::January { start.year() + 1 } else { start.year() };
    let end = start_of(next_year, next);
    let ms = |d: Date| d.midnight().assume_utc().unix_timestamp() * 1000;
    (ms(start), ms(end))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const DAY: i64 = 86_400_000;

    #[test]
    fn json_numbers_become_exact_millionths_or_are_refused() {
        assert_eq!(Micros::from_json("p", 0.000001, 10).unwrap(), Micros(1));
        assert_eq!(Micros::from_json("p", 250.5, 1000).unwrap(), Micros(250_500_000));
        assert_eq!(Micros::from_json("p", 0.1, 10).unwrap(), Micros(100_000));
        assert!(Micros::from_json("p", 0.0000001, 10).is_err());
        assert!(Micros::from_json("p", -1.0, 10).is_err());
        assert!(Micros::from_json("p", 11.0, 10).is_err());
        assert_eq!(Micros(1_500_000).to_json(), serde_json::json!(1.5));
        assert_eq!(Micros(3_000_000).to_json(), serde_json::json!(3));
        assert_eq!(Micros(123_456_789_012_345).to_json().to_string(), "123456789.012345");
        assert_eq!(Micros(1_000_345).decimal(), "1.000345");
        assert_eq!(Micros(5_000_000).decimal(), "5");
    }

    #[test]
    fn a_charge_is_exact_and_rounds_only_below_a_millionth_up() {
        // 250 cents per Mtok input, 1000 per Mtok output.
        let p = Price { input: Micros::units(250), output: Micros::units(1000) };
        let c = p.charge(1000, 500, 1);
        // 1000·250/1e6 + 500·1000/1e6 = 0.25 + 0.5 cents
        assert_eq!(c.cost, Micros(750_000));
        assert_eq!(c.credits, Micros(750_000));
        assert_eq!(p.charge(1000, 500, 5).credits, Micros(150_000));
        let tiny = Price { input: Micros(1), output: Micros(0) };
        assert_eq!(tiny.charge(1, 0, 1).cost, Micros(1), "below a millionth rounds up, never to 0");
        let free = Price { input: Micros(0), output: Micros(0) };
        assert_eq!(free.charge(1_000_000, 1_000_000, 1), Charge::default());
    }

    #[test]
    fn the_affordable_output_is_the_most_that_does_not_pass_the_limit() {
        let p = Price { input: Micros::units(300), output: Micros::units(1700) };
        for available in [0, 1, 999, 123_456, 5_000_000] {
            for input in [0_u64, 7, 1000] {
                let available = Micros(available);
                match p.affordable_output(input, available, 1) {
                    None => assert!(p.charge(input, 0, 1).credits > available),
                    Some(out) => {
                        assert!(p.charge(input, out, 1).credits <= available, "{input} {out} {available:?}");
                        assert!(p.charge(input, out + 1, 1).credits > available, "{input} {out} {available:?}");
                    }
                }
            }
        }
        assert_eq!(fit(p, 10, 100, Micros::units(1000), 1), Fit::Whole);
        assert!(matches!(fit(p, 10, 100_000, Micros::units(1), 1), Fit::Lowered(n) if n < 100_000));
        assert_eq!(fit(p, 10, 100, Micros(10), 1), Fit::Refused);
    }

    #[test]
    fn sums_saturate_instead_of_wrapping() {
        assert_eq!(Micros(i64::MAX) + Micros(1), Micros(i64::MAX));
        let huge = Price { input: Micros(i64::MAX), output: Micros(i64::MAX) };
        assert_eq!(huge.charge(u64::MAX, u64::MAX, 1).credits, Micros(i64::MAX));
        assert!(Micros(5) + huge.charge(1_000_000_000, 0, 1).credits > Micros::units(1_000_000));
    }

    #[test]
    fn thresholds_are_crossed_once() {
        let b = Micros::units(100);
        assert_eq!(crossed_thresholds(&[80, 100], b, Micros::units(10), Micros::units(85)), vec![80]);
        assert_eq!(crossed_thresholds(&[80, 100], b, Micros::units(85), Micros::units(90)), Vec::<u32>::new());
        assert_eq!(crossed_thresholds(&[80, 100], b, Micros::units(79), Micros::units(100)), vec![80, 100]);
    }

    #[test]
    fn billing_periods_are_monthly_from_the_anchor_day() {
        // 2026-01-31 anchors on the 31st: February's period starts on the 28th.
        let anchor = 1_769_817_600_000; // 2026-01-31T00:00:00Z
        let (s, e) = billing_period(anchor, anchor + 10 * DAY);
        assert_eq!(s, anchor);
        assert_eq!(e, 1_772_236_800_000); // 2026-02-28
        let (s2, _) = billing_period(anchor, e + DAY);
        assert_eq!(s2, e);
        let (s3, e3) = billing_period(anchor, anchor - DAY);
        assert!(s3 < anchor && e3 == anchor);
    }
}
