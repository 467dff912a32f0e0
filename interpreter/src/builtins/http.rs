//! `Http.*` responses built by handlers (outbound calls are effects).

use super::json::json_text;
use super::*;

#[inline(never)]
pub(super) fn call(args: &Args, callbacks: &mut dyn Callbacks) -> Result<Value, RuntimeError> {
    let builtin = args.builtin;
    use Builtin as B;
    Ok(match builtin {
        B::HttpText => response(args.int(1)?, Some("text/plain; charset=utf-8"), args.string(0)?.to_string()),
        B::HttpHtml => response(args.int(1)?, Some("text/html; charset=utf-8"), args.string(0)?.to_string()),
        B::HttpJson => {
            let status = args.int(1)?;
            response(status, Some("application/json"), json_text(builtin, args.get(0)?, callbacks)?)
        }
        B::HttpEmpty => response(args.int(0)?, None, String::new()),
        B::HttpRedirect => {
            let mut headers = BTreeMap::new();
            headers.insert("location".to_string(), Value::string(args.string(0)?));
            Value::record(
                "Http.Response",
                vec![
                    ("status".into(), Value::Int(302)),
                    ("headers".into(), Value::dict(headers)),
                    ("body".into(), Value::string("")),
                ],
            )
        }
        B::HttpWithHeader => with_header(args, args.string(1)?, args.string(2)?)?,
        other => return Err(elsewhere(other)),
    })
}

fn response(status: i64, content_type: Option<&str>, body: String) -> Value {
    let mut headers = BTreeMap::new();
    if let Some(content_type) = content_type {
        headers.insert("content-type".to_string(), Value::string(content_type));
    }
    Value::record(
        "Http.Response",
        vec![
            ("status".into(), Value::Int(status)),
            ("headers".into(), Value::dict(headers)),
            ("body".into(), Value::string(body)),
        ],
    )
}

fn with_header(args: &Args, name: &str, value: &str) -> Result<Value, RuntimeError> {
    let Value::Record(record) = args.get(0)? else { return Err(args.wrong(0, "an Http.Response")) };
    let mut updated = (**record).clone();
    let Some((_, slot)) = updated.fields.iter_mut().find(|(field, _)| field == "headers") else {
        return Err(args.wrong(0, "an Http.Response"));
    };
    let Value::Dict(headers) = slot else { return Err(args.wrong(0, "an Http.Response")) };
    *slot = Value::Dict(headers.with(&name.to_lowercase(), Value::string(value)));
    Ok(Value::Record(Arc::new(updated)))
}
