#![no_main]
// Any body Meta (or anyone) POSTs to the callback: events or a typed error, never a panic; applying
// each event to an empty snapshot never panics either.
use libfuzzer_sys::fuzz_target;
use serde_json::Map;
use wa_health_core::webhook::{apply::apply, parse::parse};

fuzz_target!(|body: &[u8]| {
    if let Ok(events) = parse(body) {
        for event in &events {
            let _ = apply(&Map::new(), event, None);
        }
    }
});
