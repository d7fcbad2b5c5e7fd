//! Many health reads at once: bounded concurrency on one engine, results in input order.
//!
//! A [`Sweep`] owns the requests not yet started, at most `concurrency` request futures, and one
//! result slot per request. A request's input is moved into its future when it starts and is
//! freed when it ends, so memory is the results plus `concurrency` requests in flight, whatever
//! the number of requests. The futures run inside [`Sweep::run`], which the caller drives with
//! `Engine::block_on`; `run` can return early to let the caller report progress or take the
//! finished results while every request in flight is waiting on the network, and resumes where it
//! stopped. Dropping the sweep cancels every request still in flight.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::task::Poll;
use std::time::{Duration, Instant};

use futures_util::stream::{FuturesUnordered, StreamExt};
use futures_util::FutureExt;

use crate::client::{Caller, Engine, GraphSettings};
use crate::error::GraphResult;
use crate::health::{fetch_health, HealthQuery, HealthRecord};
use crate::secrets::Secrets;

/// `fetch_many`'s default and largest number of requests in flight (Ruby reads both from here).
pub const DEFAULT_CONCURRENCY: usize = 16;
pub const MAX_CONCURRENCY: usize = 256;

type Running<'a, T> = Pin<Box<dyn Future<Output = (usize, std::thread::Result<T>)> + 'a>>;
type Launch<'a, I, T> = Box<dyn FnMut(I) -> Pin<Box<dyn Future<Output = T> + 'a>> + 'a>;

/// A request whose future panicked. The other requests are not affected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Panicked;

/// Why [`Sweep::run`] returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Every request has ended (with [`Sweep::hand_over_when_idle`], the results not taken yet wait
    /// in [`Sweep::take_ready`]).
    Finished,
    /// `report_every` has passed since `run` was called and this many requests have ended.
    Progress(usize),
    /// (With [`Sweep::hand_over_when_idle`].) This many results are waiting in
    /// [`Sweep::take_ready`] and every request in flight is waiting on the network.
    Ready(usize),
}

pub struct Sweep<'a, I, T> {
    pending: std::vec::IntoIter<I>,
    next_index: usize,
    concurrency: usize,
    launch: Launch<'a, I, T>,
    running: FuturesUnordered<Running<'a, T>>,
    results: Vec<Option<Result<T, Panicked>>>,
    done: usize,
    /// Indices of results not yet taken with `take_ready`, when handing over.
    ready: Vec<usize>,
    hand_over: bool,
    one_first: bool,
}

impl<'a, I, T: 'a> Sweep<'a, I, T> {
    /// `launch` turns one input into its request future. `concurrency` is clamped to
    /// 1..=[`MAX_CONCURRENCY`].
    pub fn new<F, Fut>(inputs: Vec<I>, concurrency: usize, mut launch: F) -> Sweep<'a, I, T>
    where
        F: FnMut(I) -> Fut + 'a,
        Fut: Future<Output = T> + 'a,
    {
        let total = inputs.len();
        let mut results = Vec::with_capacity(total);
        results.resize_with(total, || None);
        Sweep {
            pending: inputs.into_iter(),
            next_index: 0,
            concurrency: concurrency.clamp(1, MAX_CONCURRENCY),
            launch: Box::new(move |input| Box::pin(launch(input))),
            running: FuturesUnordered::new(),
            results,
            done: 0,
            ready: Vec::new(),
            hand_over: false,
            one_first: false,
        }
    }

    /// Starts one request alone and the others once it has ended. Over TLS the connection pool
    /// learns that a server speaks HTTP/2 only when a handshake has finished, so `concurrency`
    /// requests started at once to a new origin would each open a connection (63 of 64 then
    /// dropped); after one round trip they all share the first one's streams.
    pub fn one_first(mut self) -> Self {
        self.one_first = true;
        self
    }

    /// Makes [`Sweep::run`] return [`Step::Ready`] when results are finished and no request can
    /// make progress before the network answers: the caller can then use the idle time to take
    /// them with [`Sweep::take_ready`] (e.g. to convert them) instead of doing it all at the end.
    pub fn hand_over_when_idle(mut self) -> Self {
        self.hand_over = true;
        self
    }

    /// The finished results not taken yet, with their input index, in completion order.
    pub fn take_ready(&mut self) -> impl Iterator<Item = (usize, Result<T, Panicked>)> + '_ {
        let ready = std::mem::take(&mut self.ready);
        let results = &mut self.results;
        ready
            .into_iter()
            .filter_map(move |index| results[index].take().map(|result| (index, result)))
    }

    pub fn total(&self) -> usize {
        self.results.len()
    }

    #[cfg(test)]
    pub fn done(&self) -> usize {
        self.done
    }

    pub fn in_flight(&self) -> usize {
        self.running.len()
    }

    fn fill(&mut self) {
        let limit = if self.one_first && self.done == 0 {
            1
        } else {
            self.concurrency
        };
        while self.running.len() < limit {
            let Some(input) = self.pending.next() else {
                return;
            };
            let index = self.next_index;
            self.next_index += 1;
            let request = (self.launch)(input);
            // A panic inside one request becomes that request's result, not the batch's.
            self.running.push(Box::pin(
                AssertUnwindSafe(request)
                    .catch_unwind()
                    .map(move |result| (index, result)),
            ));
        }
    }

    /// Runs requests until all have ended, or until a request ends after `report_every` has
    /// passed since this call began (then the caller may report progress and call again), or
    /// (when handing over) until finished results wait and every request waits on the network.
    /// Cancel-safe: dropping the future loses no result, and the next call carries on.
    pub async fn run(&mut self, report_every: Option<Duration>) -> Step {
        let started = Instant::now();
        std::future::poll_fn(|cx| loop {
            self.fill();
            match self.running.poll_next_unpin(cx) {
                Poll::Ready(Some((index, result))) => {
                    self.results[index] = Some(result.map_err(|_| Panicked));
                    self.done += 1;
                    if self.hand_over {
                        self.ready.push(index);
                    }
                    if self.done < self.total()
                        && report_every.is_some_and(|d| started.elapsed() >= d)
                    {
                        return Poll::Ready(Step::Progress(self.done));
                    }
                }
                Poll::Ready(None) => return Poll::Ready(Step::Finished),
                Poll::Pending if !self.ready.is_empty() => {
                    return Poll::Ready(Step::Ready(self.ready.len()))
                }
                Poll::Pending => return Poll::Pending,
            }
        })
        .await
    }

    /// The results in input order, once [`Sweep::run`] returned [`Step::Finished`]; `None` before.
    /// (Results already taken with [`Sweep::take_ready`] are not in it: use one or the other. The
    /// binding takes them as they come, with `take_ready`; this is how the tests read a sweep.)
    #[cfg(test)]
    pub fn into_results(mut self) -> Option<impl ExactSizeIterator<Item = Result<T, Panicked>>> {
        if self.done < self.total() {
            return None;
        }
        let results = std::mem::take(&mut self.results);
        Some(
            results
                .into_iter()
                .map(|slot| slot.unwrap_or(Err(Panicked))),
        )
    }
}

/// One element of a health sweep, with everything its request needs and no Ruby object.
pub struct HealthRequest {
    pub settings: Arc<GraphSettings>,
    pub secrets: Arc<Secrets>,
    pub phone_number_id: String,
    pub business_account_id: Option<String>,
}

/// A sweep of health reads on `engine` (which must stay leased while the sweep lives).
pub fn health_sweep(
    engine: &Engine,
    requests: Vec<HealthRequest>,
    concurrency: usize,
) -> Sweep<'_, HealthRequest, GraphResult<HealthRecord>> {
    let new_https_origin = requests.first().is_some_and(|first| {
        first.settings.is_https() && engine.known_version(&first.settings).is_none()
    });
    let sweep = Sweep::new(
        requests,
        concurrency,
        move |request: HealthRequest| async move {
            let query = HealthQuery {
                phone_number_id: &request.phone_number_id,
                business_account_id: request.business_account_id.as_deref(),
                business_profile: false,
            };
            let caller = Caller {
                engine,
                settings: &request.settings,
                secrets: &request.secrets,
            };
            fetch_health(caller, &query).await
        },
    );
    if new_https_origin {
        sweep.one_first()
    } else {
        sweep
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;
    use std::rc::Rc;

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    }

    /// Counts itself in `live` (and the peak) from creation until dropped, finished or not.
    struct Alive(Rc<Cell<usize>>);

    impl Alive {
        fn new(live: &Rc<Cell<usize>>, peak: &Rc<Cell<usize>>) -> Alive {
            live.set(live.get() + 1);
            peak.set(peak.get().max(live.get()));
            Alive(live.clone())
        }
    }

    impl Drop for Alive {
        fn drop(&mut self) {
            self.0.set(self.0.get() - 1);
        }
    }

    /// Sleeps `ms`, counting how many are alive at once; answers `value`.
    fn sleeper(
        live: Rc<Cell<usize>>,
        peak: Rc<Cell<usize>>,
    ) -> impl FnMut((u64, u32)) -> Pin<Box<dyn Future<Output = u32>>> {
        move |(ms, value)| {
            let live = live.clone();
            let peak = peak.clone();
            Box::pin(async move {
                let _alive = Alive::new(&live, &peak);
                tokio::time::sleep(Duration::from_millis(ms)).await;
                value
            })
        }
    }

    #[test]
    fn results_keep_input_order_and_concurrency_is_bounded() {
        let (live, peak) = (Rc::new(Cell::new(0)), Rc::new(Cell::new(0)));
        // Later inputs finish first: order must come from the index, not from completion.
        let inputs: Vec<(u64, u32)> = (0..12).map(|i| (30 - 2 * i as u64, i)).collect();
        let mut sweep = Sweep::new(inputs, 4, sleeper(live.clone(), peak.clone()));
        assert_eq!(runtime().block_on(sweep.run(None)), Step::Finished);
        let results: Vec<u32> = sweep.into_results().unwrap().map(Result::unwrap).collect();
        assert_eq!(results, (0..12).collect::<Vec<_>>());
        assert_eq!(peak.get(), 4);
        assert_eq!(live.get(), 0);
    }

    #[test]
    fn one_first_starts_the_others_only_when_the_first_has_ended() {
        let log = Rc::new(std::cell::RefCell::new(Vec::new()));
        let events = log.clone();
        let mut sweep = Sweep::new((0..10u32).collect(), 4, move |i: u32| {
            let events = events.clone();
            async move {
                events.borrow_mut().push(format!("start {i}"));
                tokio::time::sleep(Duration::from_millis(1)).await;
                events.borrow_mut().push(format!("end {i}"));
                i
            }
        })
        .one_first();
        assert_eq!(runtime().block_on(sweep.run(None)), Step::Finished);
        let results: Vec<u32> = sweep.into_results().unwrap().map(Result::unwrap).collect();
        assert_eq!(results, (0..10).collect::<Vec<_>>());
        let log = log.borrow();
        assert_eq!(log[..2], ["start 0", "end 0"]);
        // Then up to 4 at once, as without one_first.
        assert_eq!(log[2..6], ["start 1", "start 2", "start 3", "start 4"]);
    }

    #[test]
    fn concurrency_is_clamped() {
        let (live, peak) = (Rc::new(Cell::new(0)), Rc::new(Cell::new(0)));
        let mut sweep = Sweep::new(vec![(5, 1), (5, 2)], 0, sleeper(live, peak.clone()));
        runtime().block_on(sweep.run(None));
        assert_eq!(peak.get(), 1);
        let sweep: Sweep<'_, u32, u32> = Sweep::new(vec![], 10_000, |v| async move { v });
        assert_eq!(sweep.concurrency, MAX_CONCURRENCY);
    }

    #[test]
    fn an_empty_sweep_finishes_at_once() {
        let mut sweep: Sweep<'_, u32, u32> = Sweep::new(vec![], 4, |v| async move { v });
        assert_eq!(runtime().block_on(sweep.run(None)), Step::Finished);
        assert_eq!(sweep.into_results().unwrap().len(), 0);
    }

    #[test]
    fn a_panicking_request_fails_alone() {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(|_| {}));
        let mut sweep = Sweep::new(vec![1u32, 2, 3], 2, |v| async move {
            if v == 2 {
                panic!("deliberate panic in one request");
            }
            v
        });
        let step = runtime().block_on(sweep.run(None));
        std::panic::set_hook(previous);
        assert_eq!(step, Step::Finished);
        let results: Vec<_> = sweep.into_results().unwrap().collect();
        assert_eq!(results, vec![Ok(1), Err(Panicked), Ok(3)]);
    }

    #[test]
    fn progress_returns_early_and_resumes_where_it_stopped() {
        let (live, peak) = (Rc::new(Cell::new(0)), Rc::new(Cell::new(0)));
        let inputs: Vec<(u64, u32)> = (0..10).map(|i| (20, i)).collect();
        let mut sweep = Sweep::new(inputs, 2, sleeper(live, peak));
        let rt = runtime();
        let mut reports = Vec::new();
        while let Step::Progress(done) = rt.block_on(sweep.run(Some(Duration::from_millis(30)))) {
            reports.push(done);
        }
        assert!(!reports.is_empty(), "a 100 ms sweep reports every 30 ms");
        assert!(reports.windows(2).all(|w| w[0] < w[1]), "{reports:?}");
        assert!(reports.iter().all(|&done| done < 10), "{reports:?}");
        let results: Vec<u32> = sweep.into_results().unwrap().map(Result::unwrap).collect();
        assert_eq!(results, (0..10).collect::<Vec<_>>());
    }

    #[test]
    fn finished_results_are_handed_over_while_the_others_wait() {
        let (live, peak) = (Rc::new(Cell::new(0)), Rc::new(Cell::new(0)));
        // Two waves of 3: the first three end together, the next three 40 ms later.
        let inputs: Vec<(u64, u32)> = (0..6).map(|i| (20, i)).collect();
        let mut sweep = Sweep::new(inputs, 3, sleeper(live, peak)).hand_over_when_idle();
        let rt = runtime();
        let mut taken = Vec::new();
        let mut steps = Vec::new();
        loop {
            let step = rt.block_on(sweep.run(None));
            steps.push(step);
            taken.extend(
                sweep
                    .take_ready()
                    .map(|(index, result)| (index, result.unwrap())),
            );
            if step == Step::Finished {
                break;
            }
            // Handed over while the next wave is in flight, not after everything ended.
            assert_eq!(sweep.in_flight(), 3, "{steps:?}");
        }
        assert!(steps.contains(&Step::Ready(3)), "{steps:?}");
        taken.sort_unstable();
        assert_eq!(taken, (0..6).map(|i| (i as usize, i)).collect::<Vec<_>>());
        assert_eq!(sweep.take_ready().count(), 0);
    }

    #[test]
    fn results_are_refused_before_the_end_and_dropping_cancels() {
        let (live, peak) = (Rc::new(Cell::new(0)), Rc::new(Cell::new(0)));
        let inputs: Vec<(u64, u32)> = (0..6)
            .map(|i| (if i == 0 { 1 } else { 60_000 }, i))
            .collect();
        let mut sweep = Sweep::new(inputs, 3, sleeper(live.clone(), peak));
        let rt = runtime();
        assert_eq!(
            rt.block_on(sweep.run(Some(Duration::ZERO))),
            Step::Progress(1)
        );
        assert_eq!((sweep.done(), sweep.in_flight(), live.get()), (1, 2, 2));
        // Calling run again starts the next input in the freed slot.
        let again = rt.block_on(async {
            tokio::time::timeout(Duration::from_millis(20), sweep.run(None)).await
        });
        assert!(again.is_err(), "the other requests sleep for a minute");
        assert_eq!((sweep.in_flight(), live.get()), (3, 3));
        assert!(sweep.into_results().is_none());
        // into_results consumed the unfinished sweep: its requests were dropped, not left running.
        assert_eq!(live.get(), 0);
    }
}
