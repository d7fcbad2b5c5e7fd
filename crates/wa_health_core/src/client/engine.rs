//! The engine each call runs on: a small current-thread tokio runtime and its keep-alive pools,
//! leased from a process-wide pool of them.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};

use hyper::Version;
use tokio_util::sync::CancellationToken;
use url::Url;

use super::settings::{CaRoots, GraphSettings};
use super::transport::HttpClient;
use crate::error::{GraphError, GraphResult};

/// An HTTP engine: a current-thread tokio runtime and its keep-alive pools. It does no work of its
/// own: it runs only inside [`Engine::block_on`], on the caller's thread. A Ruby thread waiting on
/// Meta therefore drives its own sockets, with no hand-off to runtime worker threads and back
/// (those hand-offs cost more than the loopback round trip itself; see bench/RESULTS.md).
///
/// Engines live in a process-wide pool. A call leases one (the most recently returned, whose
/// connections are the warmest) and gives it back when it ends, so there are as many engines as
/// the peak number of concurrent calls, and keep-alive connections are shared between threads.
/// The pool is rebuilt in a forked child: the parent's sockets and epoll set are not the child's.
pub struct Engine {
    runtime: tokio::runtime::Runtime,
    clients: Mutex<HashMap<ClientKey, HttpClient>>,
    /// The HTTP version each (client, origin) last answered with: a sweep to an https origin this
    /// engine has not heard from yet sends one request alone first (see `batch::health_sweep`).
    versions: Mutex<HashMap<(ClientKey, String), Version>>,
}

/// What a client is built from: the connect timeout (ms), the extra CA certificates, the proxy.
type ClientKey = (u64, Option<[u8; 32]>, Option<String>);

/// Scheduler rounds [`Engine::settle`] gives ready tasks (a dropped request's connection needs two).
const SETTLE_ROUNDS: usize = 4;

/// Idle engines kept for reuse; more than this (after a burst of concurrent calls) are dropped.
const MAX_IDLE_ENGINES: usize = 64;

struct EnginePool {
    pid: u32,
    idle: Vec<Arc<Engine>>,
}

static ENGINES: Mutex<Option<EnginePool>> = Mutex::new(None);

fn engine_pool() -> std::sync::MutexGuard<'static, Option<EnginePool>> {
    ENGINES.lock().unwrap_or_else(|e| e.into_inner())
}

/// One caller's exclusive use of an [`Engine`]; returns it to the pool when dropped.
/// Dereferences to the `Arc<Engine>` that futures of this call may clone.
pub struct EngineLease {
    engine: Option<Arc<Engine>>,
    pid: u32,
}

impl std::ops::Deref for EngineLease {
    type Target = Arc<Engine>;

    fn deref(&self) -> &Arc<Engine> {
        self.engine
            .as_ref()
            .expect("an engine lease holds its engine until dropped")
    }
}

impl Drop for EngineLease {
    fn drop(&mut self) {
        let Some(engine) = self.engine.take() else {
            return;
        };
        let mut pool = engine_pool();
        match pool.as_mut() {
            Some(pool) if pool.pid == self.pid && pool.idle.len() < MAX_IDLE_ENGINES => {
                pool.idle.push(engine);
            }
            _ => {
                drop(pool);
                drop(engine);
            }
        }
    }
}

impl Engine {
    /// An engine for one call (or one batch), taken from the pool or built.
    pub fn lease() -> GraphResult<EngineLease> {
        let pid = std::process::id();
        let reused = {
            let mut pool = engine_pool();
            if pool.as_ref().is_some_and(|p| p.pid != pid) {
                if let Some(stale) = pool.take() {
                    // Inherited across fork: dropping would close sockets and epoll registrations
                    // that the parent still uses. Leaking is the safe choice (copy-on-write pages).
                    std::mem::forget(stale);
                }
            }
            pool.get_or_insert_with(|| EnginePool {
                pid,
                idle: Vec::new(),
            })
            .idle
            .pop()
        };
        let engine = match reused {
            Some(engine) => engine,
            None => Arc::new(Engine::new()?),
        };
        Ok(EngineLease {
            engine: Some(engine),
            pid,
        })
    }

    fn new() -> GraphResult<Engine> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| GraphError::Internal(format!("cannot start the I/O runtime: {e}")))?;
        Ok(Engine {
            runtime,
            clients: Mutex::new(HashMap::new()),
            versions: Mutex::new(HashMap::new()),
        })
    }

    fn client_key(settings: &GraphSettings) -> ClientKey {
        (
            settings.open_timeout().as_millis() as u64,
            settings.ca_roots().map(CaRoots::digest),
            settings.proxy().map(Url::to_string),
        )
    }

    fn version_key(settings: &GraphSettings) -> (ClientKey, String) {
        (Self::client_key(settings), settings.origin())
    }

    /// The HTTP version the origin of `settings` last answered this engine with, if it has yet.
    pub fn known_version(&self, settings: &GraphSettings) -> Option<Version> {
        let versions = self.versions.lock().unwrap_or_else(|e| e.into_inner());
        versions.get(&Self::version_key(settings)).copied()
    }

    pub(super) fn remember_version(&self, settings: &GraphSettings, version: Version) {
        let mut versions = self.versions.lock().unwrap_or_else(|e| e.into_inner());
        versions.insert(Self::version_key(settings), version);
    }

    /// Clients are keyed by the per-client settings (connect timeout, extra CAs, proxy); each
    /// keeps its own pool. The proxy comes from the settings only: Ruby resolves the
    /// environment's as Net::HTTP would.
    pub(super) fn client(&self, settings: &GraphSettings) -> GraphResult<HttpClient> {
        let key = Self::client_key(settings);
        let mut clients = self.clients.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(client) = clients.get(&key) {
            return Ok(client.clone());
        }
        let client = HttpClient::new(
            settings.open_timeout(),
            settings.ca_roots().map_or(&[], CaRoots::certs),
            settings.proxy(),
        )
        .map_err(|why| GraphError::Internal(format!("cannot build the HTTP client: {why}")))?;
        clients.insert(key, client.clone());
        Ok(client)
    }

    /// Runs `work` to completion on the calling thread, or stops early when `cancel` fires.
    /// Must not be called from inside a runtime (the Ruby threads that call it never are).
    pub fn block_on<T>(
        &self,
        cancel: &CancellationToken,
        work: impl Future<Output = GraphResult<T>>,
    ) -> GraphResult<T> {
        let result = self.runtime.block_on(async {
            tokio::select! {
                biased;
                _ = cancel.cancelled() => Err(GraphError::Cancelled),
                result = work => result,
            }
        });
        if matches!(result, Err(GraphError::Cancelled)) {
            self.settle();
        }
        result
    }

    /// Lets the tasks that are ready run (without waiting for anything): connections whose request
    /// was dropped mid-way close their socket now instead of when the engine is next leased.
    pub fn settle(&self) {
        self.runtime.block_on(async {
            for _ in 0..SETTLE_ROUNDS {
                tokio::task::yield_now().await;
            }
        });
    }

    /// Makes this engine's runtime current until the guard drops, for dropping request futures
    /// outside [`Engine::block_on`] (a pooled connection may spawn a task when it is released).
    pub fn enter(&self) -> tokio::runtime::EnterGuard<'_> {
        self.runtime.enter()
    }
}
