//! `WaHealth::Native.fetch_many`: a health sweep (wa_health_core::batch) with the GVL released for the
//! whole batch, and re-taken only to call the progress block.
//!
//! The GVL is re-taken by returning from the GVL-free section, not with `rb_thread_call_with_gvl`:
//! on its way back into the GVL-free section that function checks for interrupts, and a pending
//! Thread#kill or Ctrl-C would then longjmp across the Rust frames still running the batch (the
//! runtime's `block_on`, the request futures), skipping their destructors. Here each GVL-free
//! section ends normally; the sweep keeps its requests in flight across the progress call (they
//! wait, their sockets do not), and the next section carries on where the last one stopped.
//! Any interrupt or exception from the block is raised after the sweep is dropped, which cancels
//! every request still in flight.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use magnus::error::ErrorType;
use magnus::rb_sys::AsRawValue;
use magnus::value::ReprValue;
use magnus::{Error, RArray, Ruby, TryConvert, Value};

use super::convert::record_to_ruby;
use super::errors::{panic_error, to_ruby_error};
use super::graph::{with_fiber_secrets, RbGraphSettings};
use super::nogvl::EngineWait;
use wa_health_core::batch::{health_sweep, HealthRequest, Panicked, Step, Sweep, MAX_CONCURRENCY};
use wa_health_core::client::{validate_access_token, validate_node_id, Engine, GraphSettings};
use wa_health_core::error::{GraphError, GraphResult};
use wa_health_core::health::HealthRecord;
use wa_health_core::secrets::Secrets;

/// The progress block is called at most this often (and once more at the end).
const PROGRESS_EVERY: Duration = Duration::from_millis(100);

/// Values per request in the flat Array the Ruby side passes: graph settings, phone, token, WABA.
const FIELDS: usize = 4;

type HealthSweep<'e> = Sweep<'e, HealthRequest, GraphResult<HealthRecord>>;

fn argument_error(ruby: &Ruby, message: String) -> Error {
    Error::new(ruby.exception_arg_error(), message)
}

/// Drops the sweep with its engine's runtime current (a request cancelled mid-way may hand its
/// connection back to the pool, which spawns a task), then lets the runtime close the sockets of
/// the requests that were still in flight.
struct SweepGuard<'e> {
    engine: &'e Engine,
    sweep: Option<HealthSweep<'e>>,
}

impl Drop for SweepGuard<'_> {
    fn drop(&mut self) {
        let Some(sweep) = self.sweep.take() else {
            return;
        };
        let cancelled = sweep.in_flight() > 0;
        {
            let _runtime = self.engine.enter();
            drop(sweep);
        }
        if cancelled {
            self.engine.settle();
        }
    }
}

/// `Native.fetch_many(flat, concurrency, progress)`: `flat` holds FIELDS values per request, as
/// lib/wa_health/fetch_many.rb checked them. Returns one health Hash or error object per request.
pub fn fetch_many(
    ruby: &Ruby,
    flat: RArray,
    concurrency: i64,
    progress: Option<magnus::block::Proc>,
) -> Result<RArray, Error> {
    let limit = usize::try_from(concurrency)
        .ok()
        .filter(|c| (1..=MAX_CONCURRENCY).contains(c))
        .ok_or_else(|| {
            argument_error(
                ruby,
                format!("concurrency must be an Integer between 1 and {MAX_CONCURRENCY}"),
            )
        })?;
    let requests = requests_from(ruby, flat)?;
    let total = requests.len();
    let engine = Engine::lease().map_err(|e| to_ruby_error(ruby, e))?;
    let mut guard = SweepGuard {
        engine: &engine,
        sweep: Some(health_sweep(&engine, requests, limit).hand_over_when_idle()),
    };
    // Filled as results come in (while the requests in flight wait on the network), not at the
    // end: a result's Rust form is freed as soon as it is a Ruby object.
    let answer = ruby.ary_new_capa(total);
    let report_every = progress.is_some().then_some(PROGRESS_EVERY);
    // On the main thread, come back to Ruby now and then for signals (see EngineWait).
    let waits = EngineWait::new(&engine);
    let mut last_report = Instant::now();
    loop {
        let Some(sweep) = guard.sweep.as_mut() else {
            return Err(panic_error(ruby));
        };
        let wait = report_every.map(|every| every.saturating_sub(last_report.elapsed()));
        // Err: Ruby raised (Thread#raise, Timeout) or is killing the thread; the guard cancels.
        // `run` may be dropped between two requests' ends: the sweep loses nothing.
        let step = waits.wait(ruby, std::pin::pin!(sweep.run(wait)))?;
        match step {
            Some(Step::Finished) => break,
            Some(Step::Ready(_)) => store_ready(ruby, sweep, answer)?,
            Some(Step::Progress(done)) => {
                last_report = Instant::now();
                if let Some(block) = progress {
                    let _: Value = block.call((done, total))?;
                }
            }
            // The main thread's signal check, or woken with nothing to raise (Thread#wakeup, a
            // trap handler): carry on.
            None => {}
        }
    }
    if let Some(block) = progress {
        let _: Value = block.call((total, total))?;
    }
    let Some(sweep) = guard.sweep.as_mut() else {
        return Err(panic_error(ruby));
    };
    store_ready(ruby, sweep, answer)?;
    if answer.len() != total {
        return Err(panic_error(ruby));
    }
    Ok(answer)
}

/// Puts the results the sweep has handed over at their index in `answer`.
fn store_ready(ruby: &Ruby, sweep: &mut HealthSweep<'_>, answer: RArray) -> Result<(), Error> {
    for (index, result) in sweep.take_ready() {
        let item = match result {
            Ok(Ok(record)) => record_to_ruby(ruby, &record).as_value(),
            Ok(Err(error)) => error_object(ruby, to_ruby_error(ruby, error))?,
            Err(Panicked) => error_object(ruby, panic_error(ruby))?,
        };
        answer.store(index as isize, item)?;
    }
    Ok(())
}

/// The exception object an error would raise, to return instead of raising it.
fn error_object(ruby: &Ruby, error: Error) -> Result<Value, Error> {
    match error.error_type() {
        ErrorType::Exception(exception) => Ok(exception.as_value()),
        ErrorType::Error(class, message) => {
            let exception: Value = class.funcall("new", (ruby.str_new(message),))?;
            Ok(exception)
        }
        ErrorType::Jump(_) => Err(error),
    }
}

/// Copies every request out of Ruby objects (nothing Ruby is touched once the GVL is released).
/// Identical graph settings and tokens are shared, not copied per request.
fn requests_from(ruby: &Ruby, flat: RArray) -> Result<Vec<HealthRequest>, Error> {
    if !flat.len().is_multiple_of(FIELDS) {
        return Err(argument_error(
            ruby,
            format!("fetch_many expects {FIELDS} values per request"),
        ));
    }
    let count = flat.len() / FIELDS;
    let mut settings_by_object: HashMap<rb_sys::VALUE, (Arc<GraphSettings>, Option<String>)> =
        HashMap::new();
    let mut tokens: HashMap<(rb_sys::VALUE, String), Arc<Secrets>> = HashMap::new();
    let mut requests = Vec::with_capacity(count);
    for index in 0..count {
        let at = |field: usize| (index * FIELDS + field) as isize;
        let invalid =
            |error: GraphError| argument_error(ruby, format!("requests[{index}]: {error}"));
        let settings_value: Value = flat.entry(at(0))?;
        let phone_number_id: String = flat.entry(at(1))?;
        let access_token: String = flat.entry(at(2))?;
        let business_account_id: Option<String> = flat.entry(at(3))?;
        validate_access_token(&access_token).map_err(invalid)?;
        validate_node_id("phone_number_id", &phone_number_id).map_err(invalid)?;
        if let Some(waba) = &business_account_id {
            validate_node_id("business_account_id", waba).map_err(invalid)?;
        }
        let key = settings_value.as_raw();
        let (settings, app_secret) = match settings_by_object.get(&key) {
            Some(known) => known.clone(),
            None => {
                let graph_settings = <&RbGraphSettings>::try_convert(settings_value)?;
                let entry = (
                    Arc::new(graph_settings.settings.clone()),
                    graph_settings.app_secret.clone(),
                );
                settings_by_object.insert(key, entry.clone());
                entry
            }
        };
        let secrets = match tokens.entry((key, access_token)) {
            std::collections::hash_map::Entry::Occupied(known) => known.get().clone(),
            std::collections::hash_map::Entry::Vacant(slot) => {
                let secrets = Secrets::new(&slot.key().1, app_secret.as_deref());
                slot.insert(Arc::new(with_fiber_secrets(ruby, secrets)?))
                    .clone()
            }
        };
        requests.push(HealthRequest {
            settings,
            secrets,
            phone_number_id,
            business_account_id,
        });
    }
    Ok(requests)
}
