//! The results: one row per figure with its baseline, the ratio Gloam ÷
//! baseline, and the goal it is held to, as a Markdown table.

use std::fmt::Write as _;
use std::time::Duration;

/// The `q`-th quantile (0..=1) of `times`; zero when there are none.
pub fn quantile(times: &[Duration], q: f64) -> Duration {
    let mut sorted = times.to_vec();
    sorted.sort();
    let index = ((sorted.len() as f64 - 1.0) * q).round() as usize;
    sorted.get(index).copied().unwrap_or_default()
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Unit {
    PerSecond,
    Millis,
    Micros,
    MiB,
    Count,
}

/// A value and its unit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Quantity(pub f64, pub Unit);

impl std::fmt::Display for Quantity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let Quantity(amount, unit) = *self;
        match unit {
            Unit::PerSecond => write!(f, "{} /s", grouped(amount)),
            Unit::Millis if amount < 1.0 => write!(f, "{:.0} µs", amount * 1000.0),
            Unit::Millis => write!(f, "{amount:.2} ms"),
            Unit::Micros if amount >= 1000.0 => write!(f, "{:.2} ms", amount / 1000.0),
            Unit::Micros => write!(f, "{amount:.1} µs"),
            Unit::MiB => write!(f, "{amount:.1} MiB"),
            Unit::Count => write!(f, "{}", grouped(amount)),
        }
    }
}

/// 12345.6 → "12,346".
fn grouped(amount: f64) -> String {
    let digits = format!("{:.0}", amount.abs());
    let mut out = String::new();
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index) % 3 == 0 {
            out.push(',');
        }
        out.push(digit);
    }
    if amount < 0.0 { format!("-{out}") } else { out }
}

/// What a figure is held to.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Goal {
    /// Gloam ÷ baseline at least this.
    RatioAtLeast(f64),
    /// Gloam ÷ baseline at most this.
    RatioAtMost(f64),
    /// The value itself at most this (in its unit).
    AtMost(f64),
}

pub struct Row {
    pub section: &'static str,
    pub figure: String,
    pub value: Quantity,
    /// What the value is compared with, and its name.
    pub baseline: Option<(String, Quantity)>,
    pub goal: Option<Goal>,
    pub note: String,
}

impl Row {
    pub fn new(section: &'static str, figure: impl Into<String>, value: Quantity) -> Row {
        Row { section, figure: figure.into(), value, baseline: None, goal: None, note: String::new() }
    }

    pub fn against(mut self, name: impl Into<String>, baseline: Quantity) -> Row {
        self.baseline = Some((name.into(), baseline));
        self
    }

    pub fn goal(mut self, goal: Goal) -> Row {
        self.goal = Some(goal);
        self
    }

    pub fn note(mut self, note: impl Into<String>) -> Row {
        self.note = note.into();
        self
    }

    pub fn ratio(&self) -> Option<f64> {
        let (_, Quantity(baseline, _)) = self.baseline.as_ref()?;
        (*baseline != 0.0).then(|| self.value.0 / baseline)
    }

    pub fn met(&self) -> Option<bool> {
        Some(match self.goal? {
            Goal::RatioAtLeast(goal) => self.ratio()? >= goal,
            Goal::RatioAtMost(goal) => self.ratio()? <= goal,
            Goal::AtMost(goal) => self.value.0 <= goal,
        })
    }

    fn goal_text(&self) -> String {
        let unit = self.value.1;
        match self.goal {
            None => String::new(),
            Some(Goal::RatioAtLeast(goal)) => format!("≥ {goal}×"),
            Some(Goal::RatioAtMost(goal)) => format!("≤ {goal}×"),
            Some(Goal::AtMost(goal)) => format!("≤ {}", Quantity(goal, unit)),
        }
    }
}

/// The Markdown table of `rows`, with the run's header.
pub fn markdown(title: &str, header: &[String], rows: &[Row]) -> String {
    let mut out = format!("### {title}\n\n");
    for line in header {
        let _ = writeln!(out, "- {line}");
    }
    out.push_str("\n| # | figure | Gloam | baseline | Gloam ÷ baseline | goal | met |\n");
    out.push_str("| --- | --- | ---: | --- | ---: | --- | --- |\n");
    for row in rows {
        let baseline = row.baseline.as_ref().map(|(name, value)| format!("{value} ({name})")).unwrap_or_default();
        let ratio = row.ratio().map(|ratio| format!("{ratio:.2}×")).unwrap_or_default();
        let met = match row.met() {
            Some(true) => "yes",
            Some(false) => "**no**",
            None => "",
        };
        let note = if row.note.is_empty() { String::new() } else { format!(" — {}", row.note) };
        let _ = writeln!(
            out,
            "| {} | {}{note} | {} | {baseline} | {ratio} | {} | {met} |",
            row.section,
            row.figure,
            row.value,
            row.goal_text()
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_hold_ratios_against_goals() {
        let hello = Row::new("1", "hello", Quantity(30_000.0, Unit::PerSecond))
            .against("bare axum", Quantity(50_000.0, Unit::PerSecond))
            .goal(Goal::RatioAtLeast(0.5));
        assert_eq!(hello.ratio(), Some(0.6));
        assert_eq!(hello.met(), Some(true));
        let latency = Row::new("4", "edit to live p50", Quantity(25.0, Unit::Millis)).goal(Goal::AtMost(20.0));
        assert_eq!(latency.met(), Some(false));
        let table = markdown("run", &["2 cores".into()], &[hello, latency]);
        assert!(table.contains("| 1 | hello | 30,000 /s | 50,000 /s (bare axum) | 0.60× | ≥ 0.5× | yes |"), "{table}");
        assert!(table.contains("| 4 | edit to live p50 | 25.00 ms |  |  | ≤ 20.00 ms | **no** |"), "{table}");
        assert_eq!(Quantity(0.25, Unit::Millis).to_string(), "250 µs");
    }
}
