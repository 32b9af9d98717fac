//! Binance HMAC-SHA256 signing on the five documented vectors (REST ASCII, REST percent-encoded,
//! REST mixed query + body, WS-API ASCII, WS-API UTF-8).

#![allow(clippy::unwrap_used)] // test helpers may panic on broken fixtures

use serde_json::Value;
use speedtrade::venue::binance::sign::{HmacSigner, RestParams, percent_encode, ws_api_payload};

const VECTORS: &str = include_str!("fixtures/binance_signature_vector.json");

fn vectors() -> (HmacSigner, Value) {
    let v: Value = serde_json::from_str(VECTORS).unwrap();
    (HmacSigner::new(v["secretKey"].as_str().unwrap()), v)
}

fn vector<'a>(all: &'a Value, id: &str) -> &'a Value {
    all["vectors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["id"] == id)
        .unwrap_or_else(|| panic!("vector {id}"))
}

fn pairs(payload: &str) -> Vec<(String, String)> {
    payload
        .split('&')
        .map(|kv| kv.split_once('=').unwrap())
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn every_vector_signs_to_its_expected_hex() {
    let (signer, all) = vectors();
    for v in all["vectors"].as_array().unwrap() {
        let payload = v["payload"].as_str().unwrap();
        let want = v["expected_signature_hex"].as_str().unwrap();
        assert_eq!(signer.sign(payload.as_bytes()), want, "{}", v["id"]);
    }
}

#[test]
fn rest_params_built_from_raw_values_reproduce_the_signed_payloads() {
    let (signer, all) = vectors();
    for id in ["rest_hmac_ascii", "rest_hmac_non_ascii_percent_encoded"] {
        let v = vector(&all, id);
        let raw = v["payload_before_percent_encoding"]
            .as_str()
            .or(v["payload"].as_str())
            .unwrap();
        let mut p = RestParams::new();
        for (k, val) in pairs(raw) {
            p.push(&k, val);
        }
        assert_eq!(p.as_str(), v["payload"].as_str().unwrap(), "{id}");
        let signed = p.signed(&signer);
        let want = v["expected_signature_hex"].as_str().unwrap();
        assert_eq!(signed, format!("{}&signature={want}", p.as_str()), "{id}");
    }
}

#[test]
fn rest_mixed_query_and_body_concatenate_without_a_separator() {
    let (signer, all) = vectors();
    let v = vector(&all, "rest_hmac_mixed_query_and_body");
    let sig = signer.sign_rest(
        v["query_string"].as_str().unwrap(),
        v["request_body"].as_str().unwrap(),
    );
    assert_eq!(sig, v["expected_signature_hex"].as_str().unwrap());
}

#[test]
fn ws_api_params_in_any_order_sort_and_sign_without_encoding() {
    let (signer, all) = vectors();
    for id in ["wsapi_hmac_ascii", "wsapi_hmac_non_ascii_raw_utf8"] {
        let v = vector(&all, id);
        let payload = v["payload"].as_str().unwrap();
        let mut shuffled = pairs(payload);
        shuffled.reverse();
        shuffled.push(("signature".into(), "ignored".into()));
        let refs: Vec<(&str, &str)> = shuffled
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        assert_eq!(ws_api_payload(&refs), payload, "{id}");
        assert_eq!(
            signer.sign_ws_api(&refs),
            v["expected_signature_hex"].as_str().unwrap(),
            "{id}"
        );
    }
}

#[test]
fn percent_encoding_is_upper_case_utf8() {
    assert_eq!(percent_encode("１"), "%EF%BC%91");
    assert_eq!(percent_encode("a-b_c.d~e"), "a-b_c.d~e");
}
