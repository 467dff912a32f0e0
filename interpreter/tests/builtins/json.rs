//! JSON: parse, stringify, encode, typed decode, round trips.

use super::*;
use gloam_interpreter::json::{MAX_DEPTH, json_tree, to_json, tree_to_json};
use proptest::prelude::*;
use std::collections::BTreeMap;

#[test]
fn json_parse_stringify_and_encode() {
    let parsed = ok(Builtin::JsonParse, vec![s(r#"{"b": [1, 2.5, null, true], "a": "x"}"#)]);
    assert_eq!(
        parsed.to_string(),
        r#"Ok(JsonObject({ "a": JsonString("x"), "b": JsonList([JsonInt(1), JsonFloat(2.5), JsonNull, JsonBool(true)]) }))"#
    );
    let Value::Variant(result) = &parsed else { panic!("not a Result") };
    let tree = result.payload[0].clone();
    assert_eq!(ok(Builtin::JsonStringify, vec![tree]), s(r#"{"a":"x","b":[1,2.5,null,true]}"#));
    assert_eq!(
        ok(Builtin::JsonParse, vec![s(r#"{"a": }"#)]).to_string(),
        r#"Error("expected value at line 1 column 7")"#
    );
    assert_eq!(
        ok(Builtin::JsonParse, vec![s("18446744073709551615")]).to_string(),
        "Ok(JsonFloat(1.8446744073709552e19))"
    );
    let shapes = Value::list(vec![
        Value::variant("Shape", "Circle", vec![Value::Float(1.5)]),
        Value::variant("Shape", "Rect", vec![Value::Float(1.0), Value::Float(2.0)]),
        Value::variant("Shape", "Empty", vec![]),
        Value::ok(int(1)),
        Value::error(s("e")),
        Value::some(Value::Char('c')),
        Value::none(),
        Value::Unit,
    ]);
    assert_eq!(
        ok(Builtin::JsonEncode, vec![shapes]),
        s(r#"[{"Circle":1.5},{"Rect":[1.0,2.0]},"Empty",{"Ok":1},{"Error":"e"},"c",null,null]"#)
    );
    assert_eq!(
        kind(Builtin::JsonEncode, vec![Value::list(vec![builtin_fn(Builtin::IntAbs)])]),
        ErrorKind::Builtin { function: "Json.encode", message: "cannot encode a function as JSON".into() }
    );
    assert_eq!(kind(Builtin::JsonEncode, vec![Value::Float(f64::NAN)]), ErrorKind::NonFiniteFloat);
    assert!(matches!(
        kind(Builtin::JsonToJson, vec![Value::Datastore("todos".into())]),
        ErrorKind::Builtin { function: "Json.toJson", .. }
    ));
}

#[test]
fn json_decode_errors_name_the_path() {
    let page = Type::con("Page");
    let text = r#"{"odd key": 1, "items": [
        {"id": 1, "title": "a", "done": false, "tags": []},
        {"id": 2, "title": "b", "done": true, "tags": ["t"], "note": null},
        {"id": "x", "title": "c", "done": true, "tags": []}
    ]}"#;
    assert_eq!(decode(text, page.clone()), Err(r#"at $.items[2].id: expected Int, found string "x""#.into()));
    assert_eq!(
        decode(r#"{"items": [], "odd key": "1"}"#, page.clone()),
        Err(r#"at $["odd key"]: expected Int, found string "1""#.into())
    );
    assert_eq!(decode(r#"{"items": []}"#, page.clone()), Err("at $: missing field `odd key`".into()));
    assert_eq!(decode(r#"{"id": 1}"#, Type::con("Todo")), Err("at $: missing field `title`".into()));
    assert_eq!(
        decode(r#"{"id": 1, "title": "t", "done": false, "tags": [1]}"#, Type::con("Todo")),
        Err("at $.tags[0]: expected String, found number 1".into())
    );
    assert_eq!(
        decode("[1]", Type::con("Todo")),
        Err("at $: expected an object (`Todo`), found an array of 1 element".into())
    );
    assert_eq!(decode("1.5", Type::int()), Err("at $: expected Int, found number 1.5".into()));
    assert_eq!(
        decode("18446744073709551615", Type::int()),
        Err("at $: expected Int, found number 18446744073709551615 (out of the range of Int)".into())
    );
    assert_eq!(
        decode("1e300", Type::int()),
        Err("at $: expected Int, found number 1e+300 (out of the range of Int)".into())
    );
    assert_eq!(
        decode("\"ab\"", Type::char()),
        Err(r#"at $: expected a one-character string (Char), found string "ab""#.into())
    );
    assert_eq!(decode("0", Type::unit()), Err("at $: expected null (the unit value `()`), found number 0".into()));
    assert_eq!(decode("{}", Type::list(Type::int())), Err("at $: expected List<Int>, found an object".into()));
    assert_eq!(decode("[]", Type::Var(3)), Err("at $: cannot decode into an unknown type".into()));
    assert_eq!(decode("[1]", Type::list(Type::Generic(0))), Err("at $[0]: cannot decode into an unknown type".into()));
    assert_eq!(decode("1", Type::con("Nope")), Err("at $: unknown type `Nope`".into()));
    assert_eq!(
        decode("\"Square\"", Type::con("Shape")),
        Err("at $: `Square` is not a case of `Shape` (expected one of `Circle`, `Rect`, `Empty`)".into())
    );
    assert_eq!(
        decode("\"Circle\"", Type::con("Shape")),
        Err(r#"at $: `Circle` takes 1 value; write it as {"Circle": value}"#.into())
    );
    assert_eq!(
        decode(r#"{"Rect": [1]}"#, Type::con("Shape")),
        Err("at $.Rect: `Rect` takes 2 values as an array, found an array of 1 element".into())
    );
    assert_eq!(
        decode(r#"{"Empty": null}"#, Type::con("Shape")),
        Err(r#"at $: `Empty` has no payload; write it as the string "Empty""#.into())
    );
    assert_eq!(
        decode(r#"[{"Rect": [1, "w"]}]"#, Type::list(Type::con("Shape"))),
        Err(r#"at $[0].Rect[1]: expected Float, found string "w""#.into())
    );
    let long = format!("\"{}\"", "y".repeat(100));
    assert_eq!(decode(&long, Type::int()), Err(format!("at $: expected Int, found string \"{}\"…", "y".repeat(40))));
}

#[test]
fn json_decode_accepts() {
    let todo_json = r#"{"id": 1.0, "title": "t", "done": false, "tags": ["x"], "extra": [1, 2]}"#;
    assert_eq!(decode(todo_json, Type::con("Todo")), Ok(todo(1, "t", None)));
    let with_note = r#"{"id": 1e0, "title": "t", "done": false, "tags": ["x"], "note": "n"}"#;
    assert_eq!(decode(with_note, Type::con("Todo")), Ok(todo(1, "t", Some("n"))));
    assert_eq!(decode("-9223372036854775808", Type::int()), Ok(int(i64::MIN)));
    assert_eq!(decode("3", Type::float()), Ok(Value::Float(3.0)));
    assert_eq!(
        decode("[1, null]", Type::list(Type::option(Type::int()))).map(|v| v.to_string()),
        Ok("[Some(1), None]".into())
    );
    assert_eq!(decode(r#"{"Ok": 2}"#, Type::result(Type::int(), Type::string())), Ok(Value::ok(int(2))));
    assert_eq!(decode("null", Type::unit()), Ok(Value::Unit));
    assert_eq!(decode(r#""é""#, Type::char()), Ok(Value::Char('é')));
    assert_eq!(
        decode(r#"{"b": 1, "a": 2}"#, Type::dict(Type::int())).map(|v| v.to_string()),
        Ok(r#"{ "a": 2, "b": 1 }"#.into())
    );
    assert_eq!(
        decode(r#"{"x": [1.5]}"#, Type::con("Json")).map(|v| v.to_string()),
        Ok("JsonObject({ \"x\": JsonList([JsonFloat(1.5)]) })".into())
    );
    let entry_type = Type::app("Entry", vec![Type::float()]);
    assert_eq!(decode(r#"{"key": "k", "value": 2}"#, entry_type), Ok(entry("k", Value::Float(2.0))));
}

#[test]
fn json_decode_builtin_uses_the_call_site_type() {
    let result = Type::result(Type::con("Todo"), Type::string());
    let text = s(r#"{"id": 7, "title": "t", "done": false, "tags": ["x"]}"#);
    assert_eq!(call_at(Builtin::JsonDecode, vec![text], &result).ok(), Some(Value::ok(todo(7, "t", None))));
    assert_eq!(
        call_at(Builtin::JsonDecode, vec![s("{")], &result).ok().map(|v| v.to_string()),
        Some(r#"Error("invalid JSON: EOF while parsing an object at line 1 column 1")"#.into())
    );
    assert_eq!(
        call_at(Builtin::JsonDecode, vec![s("{}")], &result).ok().map(|v| v.to_string()),
        Some(r#"Error("at $: missing field `id`")"#.into())
    );
    let unknown = call_at(Builtin::JsonDecode, vec![s("1")], &Type::Var(1)).map_err(|e| e.kind);
    assert!(matches!(unknown, Err(ErrorKind::Builtin { function: "Json.decode", .. })), "{unknown:?}");
    let partly = Type::result(Type::list(Type::Var(1)), Type::string());
    let partly = call_at(Builtin::JsonDecode, vec![s("[]")], &partly).map_err(|e| e.kind);
    assert!(matches!(partly, Err(ErrorKind::Builtin { function: "Json.decode", .. })), "{partly:?}");
    let tree = json_tree(&serde_json::json!({"Circle": 2}));
    let shape = Type::result(Type::con("Shape"), Type::string());
    assert_eq!(
        call_at(Builtin::JsonFromJson, vec![tree], &shape).ok(),
        Some(Value::ok(Value::variant("Shape", "Circle", vec![Value::Float(2.0)])))
    );
}

#[test]
fn json_round_trips_through_values() {
    let table = table();
    let cases = vec![
        (todo(1, "a\"b", Some("ü")), Type::con("Todo")),
        (
            Value::list(vec![
                Value::variant("Shape", "Rect", vec![Value::Float(1.0), Value::Float(-2.5)]),
                Value::variant("Shape", "Empty", vec![]),
            ]),
            Type::list(Type::con("Shape")),
        ),
        (Value::ok(Value::some(int(3))), Type::result(Type::option(Type::int()), Type::string())),
        (Value::error(s("bad")), Type::result(Type::int(), Type::string())),
        (
            Value::dict(BTreeMap::from([("k".to_string(), Value::Char('c')), ("".to_string(), Value::Char('🎉'))])),
            Type::dict(Type::char()),
        ),
        (Value::Unit, Type::unit()),
        (Value::Float(1e-300), Type::float()),
        (int(i64::MIN), Type::int()),
        (json_tree(&serde_json::json!({"a": [1, 2.5, null, "s", {"b": false}]})), Type::con("Json")),
    ];
    for (value, ty) in cases {
        let json = to_json(&value).expect("encodes");
        let text = json.to_string();
        let reparsed: serde_json::Value = serde_json::from_str(&text).expect("reparses");
        assert_eq!(from_json(&reparsed, &ty, &table), Ok(value.clone()), "{text}");
    }
}

#[test]
fn json_depth_is_bounded() {
    let mut deep = int(1);
    for _ in 0..MAX_DEPTH + 5 {
        deep = Value::list(vec![deep]);
    }
    assert!(matches!(to_json(&deep), Err(ErrorKind::Builtin { function: "Json.encode", .. })));
    let mut fine = int(1);
    // Each round opens two arrays: up to the limit, not past it.
    for _ in 0..(MAX_DEPTH - 1) / 2 {
        fine = Value::some(Value::list(vec![fine]));
        fine = Value::list(vec![fine]);
    }
    let json = to_json(&fine).expect("within the limit");
    assert!(json.to_string().starts_with("[[[["));
}

fn arbitrary_json() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::Bool),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<u64>().prop_map(serde_json::Value::from),
        (-1e300..1e300f64).prop_map(serde_json::Value::from),
        "\\PC{0,8}".prop_map(serde_json::Value::String),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(serde_json::Value::Array),
            prop::collection::vec(("\\PC{0,6}", inner), 0..6)
                .prop_map(|fields| serde_json::Value::Object(fields.into_iter().collect())),
        ]
    })
}

/// Objects with their keys sorted, as a `Json` tree keeps them.
fn sorted(json: &serde_json::Value) -> serde_json::Value {
    match json {
        serde_json::Value::Array(items) => serde_json::Value::Array(items.iter().map(sorted).collect()),
        serde_json::Value::Object(fields) => {
            let mut fields: Vec<_> = fields.iter().map(|(k, v)| (k.clone(), sorted(v))).collect();
            fields.sort_by(|a, b| a.0.cmp(&b.0));
            serde_json::Value::Object(fields.into_iter().collect())
        }
        other => other.clone(),
    }
}

/// Numbers as f64, since a u64 beyond Int comes back as a JsonFloat.
fn numbers_as_floats(json: &serde_json::Value) -> serde_json::Value {
    match json {
        serde_json::Value::Number(n) if n.as_i64().is_none() => serde_json::Value::from(n.as_f64().unwrap_or_default()),
        serde_json::Value::Array(items) => serde_json::Value::Array(items.iter().map(numbers_as_floats).collect()),
        serde_json::Value::Object(fields) => {
            serde_json::Value::Object(fields.iter().map(|(k, v)| (k.clone(), numbers_as_floats(v))).collect())
        }
        other => other.clone(),
    }
}

proptest! {
    #[test]
    fn json_trees_round_trip(json in arbitrary_json()) {
        let tree = json_tree(&json);
        let back = tree_to_json(&tree).expect("a tree encodes");
        prop_assert_eq!(&back, &numbers_as_floats(&sorted(&json)));
        let decoded = from_json(&json, &Type::con("Json"), &table()).expect("anything decodes as Json");
        prop_assert_eq!(decoded, tree);
    }

    #[test]
    fn string_slice_matches_a_char_model(text in "\\PC{0,12}", start in -3i64..16, end in -3i64..16) {
        let chars: Vec<char> = text.chars().collect();
        let clamp = |i: i64| i.clamp(0, chars.len() as i64) as usize;
        let expected: String = if clamp(start) < clamp(end) { chars[clamp(start)..clamp(end)].iter().collect() } else { String::new() };
        prop_assert_eq!(ok(Builtin::StringSlice, vec![s(&text), int(start), int(end)]), s(&expected));
    }

    #[test]
    fn iso_time_reads_back(ms in -62_167_219_200_000i64..253_402_300_800_000) {
        let text = iso_time(ms).expect("within the years RFC 3339 writes");
        prop_assert_eq!(text.len(), 24);
        let year: i64 = text[0..4].parse().expect("year");
        let month: i64 = text[5..7].parse().expect("month");
        let day: i64 = text[8..10].parse().expect("day");
        // days_from_civil (Hinnant), the inverse.
        let y = if month <= 2 { year - 1 } else { year };
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let mp = (month + 9) % 12;
        let doy = (153 * mp + 2) / 5 + day - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        let days = era * 146_097 + doe - 719_468;
        let h: i64 = text[11..13].parse().expect("hours");
        let m: i64 = text[14..16].parse().expect("minutes");
        let sec: i64 = text[17..19].parse().expect("seconds");
        let milli: i64 = text[20..23].parse().expect("millis");
        prop_assert_eq!(days * 86_400_000 + ((h * 60 + m) * 60 + sec) * 1000 + milli, ms);
    }
}
