//! Cron schedules, `cron "0 9 * * 1-5" name = …`: five fields — minute
//! (0–59), hour (0–23), day of month (1–31), month (1–12), day of week (0–7,
//! 0 and 7 are Sunday). Each field is `*`, a number, a range `a-b`, a step
//! `*/n` or `a-b/n`, or a comma-separated list of these. As in cron, when both
//! day fields are restricted a day matches if either does. Times are UTC.

use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ScheduleError {
    #[error("a cron schedule has five fields (minute hour day month weekday), found `{0}`")]
    FieldCount(String),
    #[error("the {field} field `{text}` {reason}")]
    Field { field: &'static str, text: String, reason: String },
}

/// A parsed schedule: the allowed values of each field as bit sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schedule {
    minutes: u64,
    hours: u64,
    days: u64,
    months: u64,
    weekdays: u64,
    days_restricted: bool,
    weekdays_restricted: bool,
}

/// A UTC minute as cron sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CivilMinute {
    pub minute: u32,
    pub hour: u32,
    pub day: u32,
    pub month: u32,
    /// 0 is Sunday.
    pub weekday: u32,
}

const FIELDS: [(&str, u32, u32); 5] =
    [("minute", 0, 59), ("hour", 0, 23), ("day", 1, 31), ("month", 1, 12), ("weekday", 0, 7)];

fn parse_field(field: &'static str, text: &str, low: u32, high: u32) -> Result<u64, ScheduleError> {
    let error = |reason: String| ScheduleError::Field { field, text: text.to_string(), reason };
    let number = |part: &str| -> Result<u32, ScheduleError> {
        let value: u32 = part.parse().map_err(|_| error(format!("has `{part}`, which is not a number")))?;
        if (low..=high).contains(&value) {
            Ok(value)
        } else {
            Err(error(format!("has {value}, outside {low}–{high}")))
        }
    };
    let mut bits = 0u64;
    for item in text.split(',') {
        let (range, step) = match item.split_once('/') {
            Some((range, step)) => {
                let step: u32 =
                    step.parse().map_err(|_| error(format!("has the step `{step}`, which is not a number")))?;
                if step == 0 {
                    return Err(error("has a step of 0".into()));
                }
                (range, step)
            }
            None => (item, 1),
        };
        let (start, end) = match range {
            "*" => (low, high),
            _ => match range.split_once('-') {
                Some((start, end)) => (number(start)?, number(end)?),
                None if step > 1 => (number(range)?, high),
                None => (number(range)?, number(range)?),
            },
        };
        if start > end {
            return Err(error(format!("has the range {start}-{end}, which is empty")));
        }
        for value in (start..=end).step_by(step as usize) {
            bits |= 1 << value;
        }
    }
    Ok(bits)
}

impl Schedule {
    pub fn parse(text: &str) -> Result<Schedule, ScheduleError> {
        let fields: Vec<&str> = text.split_whitespace().collect();
        let [minute, hour, day, month, weekday] = fields.as_slice() else {
            return Err(ScheduleError::FieldCount(text.to_string()));
        };
        let parsed = |index: usize, text: &str| {
            let (name, low, high) = FIELDS[index];
            parse_field(name, text, low, high)
        };
        let mut weekdays = parsed(4, weekday)?;
        if weekdays & (1 << 7) != 0 {
            weekdays |= 1; // 7 is Sunday too
        }
        Ok(Schedule {
            minutes: parsed(0, minute)?,
            hours: parsed(1, hour)?,
            days: parsed(2, day)?,
            months: parsed(3, month)?,
            weekdays,
            days_restricted: *day != "*",
            weekdays_restricted: *weekday != "*",
        })
    }

    pub fn matches(&self, at: CivilMinute) -> bool {
        let has = |bits: u64, value: u32| bits & (1 << value) != 0;
        let day = has(self.days, at.day);
        let weekday = has(self.weekdays, at.weekday);
        let day_matches = match (self.days_restricted, self.weekdays_restricted) {
            (true, true) => day || weekday,
            _ => day && weekday,
        };
        has(self.minutes, at.minute) && has(self.hours, at.hour) && has(self.months, at.month) && day_matches
    }
}

/// Days since 1970-01-01 → (year, month, day), proleptic Gregorian
/// (Howard Hinnant's `civil_from_days`).
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097); // [0, 146096]
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365; // [0, 399]
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100); // [0, 365]
    let month_index = (5 * day_of_year + 2) / 153; // [0, 11], from March
    let day = (day_of_year - (153 * month_index + 2) / 5 + 1) as u32; // [1, 31]
    let month = if month_index < 10 { month_index + 3 } else { month_index - 9 } as u32; // [1, 12]
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

impl CivilMinute {
    /// The UTC minute of a time in milliseconds since the epoch.
    pub fn of_unix_ms(milliseconds: i64) -> CivilMinute {
        let days = milliseconds.div_euclid(86_400_000);
        let in_day = milliseconds.rem_euclid(86_400_000);
        let (_, month, day) = civil_from_days(days);
        CivilMinute {
            minute: (in_day / 60_000 % 60) as u32,
            hour: (in_day / 3_600_000) as u32,
            day,
            month,
            weekday: (days + 4).rem_euclid(7) as u32, // 1970-01-01 was a Thursday
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> CivilMinute {
        // "YYYY-MM-DD HH:MM" → the minute, through days since the epoch.
        let (date, time) = text.split_once(' ').expect("date and time");
        let parts: Vec<i64> = date.split('-').chain(time.split(':')).map(|p| p.parse().expect("number")).collect();
        let days = (0..40_000).find(|d| civil_from_days(*d) == (parts[0], parts[1] as u32, parts[2] as u32));
        CivilMinute::of_unix_ms(days.expect("a date") * 86_400_000 + parts[3] * 3_600_000 + parts[4] * 60_000)
    }

    #[test]
    fn fields_lists_ranges_and_steps() {
        let weekday_mornings = Schedule::parse("0 9 * * 1-5").expect("valid");
        assert!(weekday_mornings.matches(at("2026-11-25 09:00"))); // a Wednesday
        assert!(!weekday_mornings.matches(at("2026-11-29 09:00"))); // a Sunday
        assert!(!weekday_mornings.matches(at("2026-11-25 09:01")));
        let quarters = Schedule::parse("*/15 * * * *").expect("valid");
        assert!(quarters.matches(at("2026-01-01 00:45")) && !quarters.matches(at("2026-01-01 00:50")));
        let listed = Schedule::parse("5,10-12 0 1 1,6 *").expect("valid");
        assert!(listed.matches(at("2026-06-01 00:11")) && !listed.matches(at("2026-06-02 00:11")));
        let sunday = Schedule::parse("0 0 * * 7").expect("valid");
        assert!(sunday.matches(at("2026-11-29 00:00")));
        // Both day fields restricted: either matches.
        let either = Schedule::parse("0 0 13 * 5").expect("valid");
        assert!(either.matches(at("2026-11-13 00:00")) && either.matches(at("2026-11-27 00:00")));
        assert!(!either.matches(at("2026-11-26 00:00")));
    }

    #[test]
    fn errors_name_the_field() {
        let error = |text: &str| Schedule::parse(text).expect_err("invalid").to_string();
        assert_eq!(
            error("every day"),
            "a cron schedule has five fields (minute hour day month weekday), found `every day`"
        );
        assert_eq!(error("61 * * * *"), "the minute field `61` has 61, outside 0–59");
        assert_eq!(error("* * 0 * *"), "the day field `0` has 0, outside 1–31");
        assert_eq!(error("*/0 * * * *"), "the minute field `*/0` has a step of 0");
        assert_eq!(error("* 5-2 * * *"), "the hour field `5-2` has the range 5-2, which is empty");
        assert_eq!(error("* * * jan *"), "the month field `jan` has `jan`, which is not a number");
    }
}
