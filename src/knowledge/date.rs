//! Calendar dates as the knowledge files write them (`YYYY`, `YYYY-MM`, `YYYY-MM-DD`), without a clock.

use std::fmt;

/// A date that may give only a year or a year and month.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Date {
    pub year: i32,
    pub month: Option<u32>,
    pub day: Option<u32>,
}

impl Date {
    /// A full calendar date.
    pub fn ymd(year: i32, month: u32, day: u32) -> Date {
        Date {
            year,
            month: Some(month),
            day: Some(day),
        }
    }

    /// Parses `YYYY`, `YYYY-MM` or `YYYY-MM-DD`, checking that the month and day exist.
    pub fn parse(s: &str) -> Option<Date> {
        let parts: Vec<&str> = s.split('-').collect();
        let num = |p: &str, len: usize| -> Option<u32> {
            (p.len() == len && p.bytes().all(|b| b.is_ascii_digit()))
                .then(|| p.parse().ok())
                .flatten()
        };
        let year = num(parts.first()?, 4)? as i32;
        let month = match parts.get(1) {
            Some(p) => Some(num(p, 2).filter(|m| (1..=12).contains(m))?),
            None => None,
        };
        let day = match (parts.get(2), month) {
            (Some(p), Some(m)) => {
                Some(num(p, 2).filter(|&d| d >= 1 && d <= days_in_month(year, m))?)
            }
            _ => None,
        };
        if parts.len() > 3 {
            return None;
        }
        Some(Date { year, month, day })
    }

    /// Parses a full `YYYY-MM-DD` date only.
    pub fn parse_full(s: &str) -> Option<Date> {
        Date::parse(s).filter(|d| d.day.is_some())
    }

    /// The date `days` days after 1970-01-01 (proleptic Gregorian calendar).
    pub fn from_unix_days(days: i64) -> Date {
        // Howard Hinnant's civil_from_days.
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
        Date::ymd(year, month, day)
    }

    /// Whole months from `self` to `later` (a partial date counts from its first day).
    pub fn months_until(&self, later: &Date) -> i64 {
        let months = |d: &Date| i64::from(d.year) * 12 + i64::from(d.month.unwrap_or(1)) - 1;
        let mut n = months(later) - months(self);
        if later.day.unwrap_or(1) < self.day.unwrap_or(1) {
            n -= 1;
        }
        n
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}", self.year)?;
        if let Some(m) = self.month {
            write!(f, "-{m:02}")?;
        }
        if let Some(d) = self.day {
            write!(f, "-{d:02}")?;
        }
        Ok(())
    }
}

fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        _ => 31,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_partial_and_full_dates() {
        assert_eq!(
            Date::parse("2014"),
            Some(Date {
                year: 2014,
                month: None,
                day: None
            })
        );
        assert_eq!(
            Date::parse("2014-05"),
            Some(Date {
                year: 2014,
                month: Some(5),
                day: None
            })
        );
        assert_eq!(Date::parse("2024-02-29"), Some(Date::ymd(2024, 2, 29)));
        assert!(Date::parse_full("2014-05").is_none());
    }

    #[test]
    fn rejects_impossible_or_malformed_dates() {
        for bad in [
            "2023-02-29",
            "2014-13-01",
            "2014-00",
            "14-05-22",
            "2014/05/22",
            "May 2014",
            "",
            "2014-05-22-1",
        ] {
            assert_eq!(Date::parse(bad), None, "{bad:?} should not parse");
        }
    }

    #[test]
    fn converts_unix_days_to_civil_dates() {
        assert_eq!(Date::from_unix_days(0), Date::ymd(1970, 1, 1));
        assert_eq!(Date::from_unix_days(20_786), Date::ymd(2026, 11, 29));
        assert_eq!(Date::from_unix_days(19_782), Date::ymd(2024, 2, 29));
    }

    #[test]
    fn counts_whole_months() {
        let a = Date::ymd(2025, 11, 29);
        assert_eq!(a.months_until(&Date::ymd(2026, 11, 29)), 12);
        assert_eq!(a.months_until(&Date::ymd(2026, 11, 28)), 11);
    }
}
