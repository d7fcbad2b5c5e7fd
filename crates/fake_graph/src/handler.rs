//! How a request the server received is answered from the state: recorded first, then (after the
//! configured latency) answered in this order: 411 for a POST without a length (when required), a
//! matching canned answer, body problems, path shape, auth and `appsecret_proof`, then the Graph
//! behaviour of the node and endpoint (graph/).

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;

use crate::error::ApiError;
use crate::graph;
use crate::record::{BodyProblem, RecordedRequest, MAX_BODY_BYTES};
use crate::reply::{Reply, TEXT_CONTENT_TYPE};
use crate::routing::{appsecret_proof, Call, Route};
use crate::state::{Inner, SharedState};

/// Result of [`admit`].
pub(crate) enum Step {
    /// Answer right away.
    Reply(Reply),
    /// Sleep for the configured latency, then call [`answer`].
    Wait(Duration, Arc<RecordedRequest>),
}

/// Records the request; without configured latency also answers it (one lock for both).
pub(crate) fn admit(state: &SharedState, request: RecordedRequest) -> Step {
    let request = Arc::new(request);
    let mut inner = state.lock();
    let max = inner.settings.max_recorded;
    inner.recorder.record(&request, max);
    let latency = inner.settings.latency;
    if latency.is_zero() {
        Step::Reply(reply(&mut inner, &request))
    } else {
        Step::Wait(latency, request)
    }
}

/// Answers an already recorded request.
pub(crate) fn answer(state: &SharedState, request: &RecordedRequest) -> Reply {
    reply(&mut state.lock(), request)
}

/// Answers a recorded request: 411 for a POST without a length (when required, as an HTTP/1.1
/// server or proxy may: graph-api.md), a canned answer as queued, anything else with usage
/// headers.
fn reply(inner: &mut Inner, request: &RecordedRequest) -> Reply {
    if request.problem == Some(BodyProblem::NoLength) && inner.settings.require_content_length {
        return Reply::raw(
            411,
            TEXT_CONTENT_TYPE,
            Bytes::from_static(b"Length Required"),
        );
    }
    let route = Route::parse(&request.path);
    if let Some(canned) = inner.queue.take(&route, &request.method) {
        return canned;
    }
    let reply = match graph_answer(inner, request, &route) {
        Ok(reply) => reply,
        Err(err) => err.into_reply(inner.traces.next()),
    };
    reply.with_usage(route.id)
}

/// The normal logic: body problems, shape, auth, appsecret_proof, node, endpoint.
fn graph_answer(
    inner: &mut Inner,
    request: &RecordedRequest,
    route: &Route<'_>,
) -> Result<Reply, ApiError> {
    match request.problem {
        Some(BodyProblem::TooLarge) => {
            return Err(ApiError::new(
                413,
                100,
                "OAuthException",
                format!("(#100) Request body exceeds the maximum of {MAX_BODY_BYTES} bytes"),
            ))
        }
        Some(BodyProblem::Unreadable) => {
            return Err(ApiError::param("(#100) The request body could not be read"))
        }
        Some(BodyProblem::NoLength) | None => {}
    }
    let (Some(id), Some((version, edge))) = (route.id, route.valid) else {
        return Err(ApiError::new(
            404,
            100,
            "OAuthException",
            format!("Unknown path components: {}", request.path),
        ));
    };
    let call = Call::new(request, id, version, edge);
    authorize(inner, &call)?;
    graph::serve(&mut inner.nodes, &inner.settings, &call)
}

/// A token (header, or `access_token` in the query) that is the default one or the node's
/// own, and the right `appsecret_proof` when an app secret is set.
fn authorize(inner: &Inner, call: &Call<'_>) -> Result<(), ApiError> {
    let Some(token) = call.token() else {
        return Err(ApiError::new(
            400,
            2500,
            "OAuthException",
            "An active access token must be used to query information about the current user.",
        ));
    };
    let node_token = inner
        .nodes
        .get(call.id)
        .and_then(|n| n.access_token.as_deref());
    if token != inner.settings.access_token && node_token != Some(token) {
        return Err(ApiError::new(
            401,
            190,
            "OAuthException",
            "Invalid OAuth access token - Cannot parse access token",
        ));
    }
    if let Some(secret) = &inner.settings.app_secret {
        let expected = appsecret_proof(secret, token);
        let given = call.query_value("appsecret_proof").unwrap_or("");
        if !given.eq_ignore_ascii_case(&expected) {
            return Err(ApiError::new(
                400,
                100,
                "GraphMethodException",
                "Invalid appsecret_proof provided in the API argument",
            ));
        }
    }
    Ok(())
}
