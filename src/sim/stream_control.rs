//! Market-stream control messages: SUBSCRIBE, UNSUBSCRIBE, LIST_SUBSCRIPTIONS, SET_PROPERTY
//! and GET_PROPERTY, with the replies and error codes 0–3 of Binance's docs.

use super::stream_names::{StreamSub, parse};
use serde_json::{Value, json};

/// Most streams one connection may hold.
pub const MAX_STREAMS: usize = 1024;

/// The subscriptions and properties of one stream connection.
#[derive(Debug, Default)]
pub struct Subscriptions {
    /// Subscribed streams, in subscription order.
    pub subs: Vec<StreamSub>,
    /// Whether payloads are wrapped as `{"stream":..,"data":..}`.
    pub combined: bool,
}

fn err(code: i64, msg: &str, id: &Value) -> String {
    json!({"code": code, "msg": msg, "id": id}).to_string()
}

fn valid_id(id: &Value) -> bool {
    match id {
        Value::Null => true,
        Value::Number(n) => n.is_i64(),
        Value::String(s) => s.len() <= 36 && s.bytes().all(|b| b.is_ascii_alphanumeric()),
        _ => false,
    }
}

impl Subscriptions {
    /// Handles one text message and returns the reply.
    pub fn handle(&mut self, text: &str, lookup: &dyn Fn(&str) -> Option<usize>) -> String {
        let v: Value = match serde_json::from_str(text) {
            Ok(v) => v,
            Err(e) => return json!({"code": 3, "msg": format!("Invalid JSON: {e}")}).to_string(),
        };
        let Some(obj) = v.as_object() else {
            return err(2, "Invalid request: expected a JSON object", &Value::Null);
        };
        let id = obj.get("id").cloned().unwrap_or(Value::Null);
        if !valid_id(&id) {
            return err(
                2,
                "Invalid request: request ID must be an unsigned integer",
                &Value::Null,
            );
        }
        let Some(method) = obj.get("method").and_then(Value::as_str) else {
            return err(2, "Invalid request: missing field `method`", &id);
        };
        let params = obj.get("params").cloned().unwrap_or(Value::Array(vec![]));
        match method {
            "SUBSCRIBE" => self.subscribe(&params, &id, lookup),
            "UNSUBSCRIBE" => self.unsubscribe(&params, &id),
            "LIST_SUBSCRIPTIONS" => {
                let names: Vec<&str> = self.subs.iter().map(|s| s.name.as_str()).collect();
                json!({"result": names, "id": id}).to_string()
            }
            "SET_PROPERTY" => self.set_property(&params, &id),
            "GET_PROPERTY" => match params.get(0).and_then(Value::as_str) {
                Some("combined") => json!({"result": self.combined, "id": id}).to_string(),
                Some(_) => err(0, "Unknown property", &id),
                None => err(2, "Invalid request: property name must be a string", &id),
            },
            other => err(
                2,
                &format!(
                    "Invalid request: unknown variant `{other}`, expected one of `SUBSCRIBE`, \
                     `UNSUBSCRIBE`, `LIST_SUBSCRIPTIONS`, `SET_PROPERTY`, `GET_PROPERTY`"
                ),
                &id,
            ),
        }
    }

    fn names(params: &Value) -> Option<Vec<&str>> {
        params.as_array()?.iter().map(Value::as_str).collect()
    }

    fn subscribe(
        &mut self,
        params: &Value,
        id: &Value,
        lookup: &dyn Fn(&str) -> Option<usize>,
    ) -> String {
        let Some(names) = Self::names(params) else {
            return err(
                2,
                "Invalid request: params must be a list of stream names",
                id,
            );
        };
        let mut add = Vec::new();
        for n in names {
            match parse(n, lookup) {
                Some(s) => add.push(s),
                None => {
                    return err(
                        2,
                        &format!("Invalid request: invalid stream name `{n}`"),
                        id,
                    );
                }
            }
        }
        add.retain(|s| !self.subs.iter().any(|o| o.name == s.name));
        if self.subs.len() + add.len() > MAX_STREAMS {
            return err(2, "Invalid request: too many streams (at most 1024)", id);
        }
        self.subs.extend(add);
        json!({"result": null, "id": id}).to_string()
    }

    fn unsubscribe(&mut self, params: &Value, id: &Value) -> String {
        let Some(names) = Self::names(params) else {
            return err(
                2,
                "Invalid request: params must be a list of stream names",
                id,
            );
        };
        self.subs.retain(|s| !names.contains(&s.name.as_str()));
        json!({"result": null, "id": id}).to_string()
    }

    fn set_property(&mut self, params: &Value, id: &Value) -> String {
        let arr = params.as_array().map(Vec::as_slice).unwrap_or(&[]);
        match arr {
            [Value::String(name), value] if name == "combined" => match value.as_bool() {
                Some(b) => {
                    self.combined = b;
                    json!({"result": null, "id": id}).to_string()
                }
                None => err(1, "Invalid value type: expected Boolean", id),
            },
            [Value::String(_), _] => err(0, "Unknown property", id),
            [_, _] => err(2, "Invalid request: property name must be a string", id),
            _ => err(2, "Invalid request: too many parameters", id),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_messages_follow_the_docs() {
        let look = |s: &str| (s == "BTCUSDT").then_some(0);
        let json = |text: &str| serde_json::from_str::<Value>(text).unwrap();
        let mut s = Subscriptions::default();
        let sub = r#"{"method":"SUBSCRIBE","params":["btcusdt@aggTrade","btcusdt@depth"],"id":1}"#;
        assert_eq!(
            json(&s.handle(sub, &look)),
            json(r#"{"id":1,"result":null}"#)
        );
        let unsub = r#"{"method":"UNSUBSCRIBE","params":["btcusdt@depth"],"id":312}"#;
        assert_eq!(
            json(&s.handle(unsub, &look)),
            json(r#"{"id":312,"result":null}"#)
        );
        let list = s.handle(r#"{"method":"LIST_SUBSCRIPTIONS","id":3}"#, &look);
        assert_eq!(
            json(&list),
            json(r#"{"id":3,"result":["btcusdt@aggTrade"]}"#)
        );
        let set = r#"{"method":"SET_PROPERTY","params":["combined",true],"id":5}"#;
        assert_eq!(
            json(&s.handle(set, &look)),
            json(r#"{"id":5,"result":null}"#)
        );
        let get = r#"{"method":"GET_PROPERTY","params":["combined"],"id":2}"#;
        assert_eq!(
            json(&s.handle(get, &look)),
            json(r#"{"id":2,"result":true}"#)
        );
        let code = |m: &str| {
            let mut s = Subscriptions::default();
            serde_json::from_str::<Value>(&s.handle(m, &look)).unwrap()["code"].clone()
        };
        assert_eq!(code("{nope"), 3);
        assert_eq!(code(r#"{"method":"SUBSCRIB","id":1}"#), 2);
        assert_eq!(
            code(r#"{"method":"SET_PROPERTY","params":["combined",1],"id":1}"#),
            1
        );
        assert_eq!(
            code(r#"{"method":"SET_PROPERTY","params":["x",true],"id":1}"#),
            0
        );
        assert_eq!(code(r#"{"method":"LIST_SUBSCRIPTIONS","id":[1]}"#), 2);
        assert_eq!(code(r#"{"method":"SUBSCRIBE","params":["BTC"],"id":1}"#), 2);
    }
}
