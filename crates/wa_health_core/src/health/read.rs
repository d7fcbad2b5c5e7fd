//! The health read: the phone number node, and at the same time the WABA and the business profile.

use hyper::Method;
use serde_json::{Map, Value};

use super::record::{
    business_profile, record_from_answers, waba_keys, HealthRecord, BUSINESS_PROFILE_FIELDS,
    HEALTH_MINIMUM_MAJOR_VERSION, PHONE_FIELDS, WABA_FIELDS,
};
use crate::client::{validate_node_id, Call, Caller};
use crate::error::GraphResult;

/// What one health read asks Meta for.
pub struct HealthQuery<'a> {
    pub phone_number_id: &'a str,
    /// The WABA to read too (its name and business portfolio).
    pub business_account_id: Option<&'a str>,
    /// Whether to read the business profile too.
    pub business_profile: bool,
}

/// The health read: the phone number node, and at the same time the WABA node and the business
/// profile when asked for. Only the phone number's read can fail the call: as in Chatwoot, a
/// failed WABA or profile read leaves its keys empty and its error (token-free) in the record,
/// under `business_account_error` / `business_profile_error`.
pub async fn fetch_health(
    caller: Caller<'_>,
    query: &HealthQuery<'_>,
) -> GraphResult<HealthRecord> {
    validate_node_id("phone_number_id", query.phone_number_id)?;
    if let Some(waba) = query.business_account_id {
        validate_node_id("business_account_id", waba)?;
    }
    let settings = caller
        .settings
        .with_version_floor(HEALTH_MINIMUM_MAJOR_VERSION);
    let caller = Caller {
        settings: &settings,
        ..caller
    };
    let get = |node_id, edge, fields| {
        caller.send(Call {
            method: Method::GET,
            node_id,
            edge,
            fields: Some(fields),
            body: None,
        })
    };
    let phone = get(query.phone_number_id, None, PHONE_FIELDS);
    let waba = async {
        match query.business_account_id {
            Some(id) => Some(get(id, None, WABA_FIELDS).await),
            None => None,
        }
    };
    let profile = async {
        match query.business_profile {
            true => Some(
                get(
                    query.phone_number_id,
                    Some("whatsapp_business_profile"),
                    BUSINESS_PROFILE_FIELDS,
                )
                .await,
            ),
            false => None,
        }
    };
    let (phone, waba, profile) = tokio::join!(phone, waba, profile);
    let (waba, waba_error) = split(waba);
    let mut record = record_from_answers(phone?, waba, query.business_account_id);
    if let Some(error) = waba_error {
        record.extend(waba_keys(Value::Null, query.business_account_id));
        record.push(("business_account_error", error));
    } else if query.business_account_id.is_some() {
        record.push(("business_account_error", Value::Null));
    }
    if let Some(profile) = profile {
        let (answer, error) = split(Some(profile));
        record.push((
            "business_profile",
            answer.map_or(Value::Null, business_profile),
        ));
        record.push(("business_profile_error", error.unwrap_or(Value::Null)));
    }
    Ok(record)
}

/// An enrichment read's answer, or its error as data.
fn split(
    read: Option<GraphResult<Map<String, Value>>>,
) -> (Option<Map<String, Value>>, Option<Value>) {
    match read {
        Some(Ok(answer)) => (Some(answer), None),
        Some(Err(error)) => (None, Some(error.summary())),
        None => (None, None),
    }
}
