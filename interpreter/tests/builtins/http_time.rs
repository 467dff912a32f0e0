//! Http responses, Time.toIso and civil dates; effects are not pure.

use super::*;
use gloam_language::schedule::civil_from_days;

#[test]
fn http_builders() {
    let response = ok(Builtin::HttpJson, vec![todo(1, "t", None), int(201)]);
    assert_eq!(
        response.to_string(),
        r#"Http.Response { status: 201, headers: { "content-type": "application/json" }, body: "{\"id\":1,\"title\":\"t\",\"done\":false,\"tags\":[\"x\"],\"note\":null}" }"#
    );
    let redirect = ok(Builtin::HttpRedirect, vec![s("/there")]);
    let with = ok(Builtin::HttpWithHeader, vec![redirect, s("X-Trace-ID"), s("abc")]);
    assert_eq!(
        with.to_string(),
        r#"Http.Response { status: 302, headers: { "location": "/there", "x-trace-id": "abc" }, body: "" }"#
    );
    let html = ok(Builtin::HttpHtml, vec![s("<b>"), int(200)]);
    assert_eq!(
        html.field("headers").map(ToString::to_string).as_deref(),
        Some(r#"{ "content-type": "text/html; charset=utf-8" }"#)
    );
    assert_eq!(ok(Builtin::HttpEmpty, vec![int(204)]).field("headers").map(ToString::to_string).as_deref(), Some("{}"));
    assert_eq!(
        kind(Builtin::HttpJson, vec![builtin_fn(Builtin::IntAbs), int(200)]),
        ErrorKind::Builtin { function: "Http.json", message: "cannot encode a function as JSON".into() }
    );
}

#[test]
fn iso_time_handles_epoch_leap_years_and_negative_times() {
    for (milliseconds, text) in [
        (0, "1970-01-01T00:00:00.000Z"),
        (951_782_400_000, "2000-02-29T00:00:00.000Z"),
        (-1, "1969-12-31T23:59:59.999Z"),
        (1_767_225_600_123, "2026-01-01T00:00:00.123Z"),
        (1_709_210_096_789, "2024-02-29T12:34:56.789Z"),
        (-2_203_891_200_000, "1900-03-01T00:00:00.000Z"),
        (-2_203_891_200_001, "1900-02-28T23:59:59.999Z"),
        (-11_670_998_400_000, "1600-02-29T00:00:00.000Z"),
        (-14_182_940_000, "1969-07-20T20:17:40.000Z"),
        (-62_135_596_800_000, "0001-01-01T00:00:00.000Z"),
        (253_402_300_799_999, "9999-12-31T23:59:59.999Z"),
        (-62_167_219_200_000, "0000-01-01T00:00:00.000Z"),
    ] {
        assert_eq!(iso_time(milliseconds).as_deref(), Some(text), "{milliseconds}");
    }
    // Past the years RFC 3339 writes, and at the extremes: an error, not `+010000-…`.
    for milliseconds in [253_402_300_800_000, -62_167_219_200_001, i64::MAX, i64::MIN] {
        assert_eq!(iso_time(milliseconds), None, "{milliseconds}");
        assert!(matches!(
            kind(Builtin::TimeToIso, vec![int(milliseconds)]),
            ErrorKind::Builtin { function: "Time.toIso", .. }
        ));
    }
    assert_eq!(ok(Builtin::TimeToIso, vec![int(0)]), s("1970-01-01T00:00:00.000Z"));
}

#[test]
fn civil_dates_agree_with_counting_days() {
    // Walk day by day over four centuries around the epoch.
    let (mut year, mut month, mut day) = (1800i64, 1u32, 1u32);
    let days_in = |year: i64, month: u32| match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    for days in -62_091..84_000 {
        assert_eq!(civil_from_days(days), (year, month, day), "day {days}");
        day += 1;
        if day > days_in(year, month) {
            day = 1;
            month += 1;
            if month > 12 {
                month = 1;
                year += 1;
            }
        }
    }
}

#[test]
fn effects_are_not_pure() {
    assert!(matches!(kind(Builtin::TimeNow, vec![]), ErrorKind::Internal(_)));
    assert!(matches!(kind(Builtin::LogInfo, vec![s("x")]), ErrorKind::Internal(_)));
}
