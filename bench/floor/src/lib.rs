//! The network floors `rake bench` compares wa_health with (bench/suite.rb), as a Ruby extension that
//! only the benchmark builds and loads (bench/floor.rb); the gem never carries it.
//!
//! `WaHealthBench::RustFloor.fetch(url, token, iterations)`: the cheapest way Rust can make the GET
//! `WaHealth.fetch` makes, on a warm keep-alive connection: its own current-thread tokio runtime and
//! reqwest client (a second HTTP stack, not the gem's), the same URL and Bearer header, the body read
//! to the end and not parsed, no Ruby object per request. It runs in this process, on the calling
//! thread. It keeps the GVL: the benchmark runs no other Ruby thread meanwhile, and FakeGraph serves
//! from its own Rust threads. Returns the seconds the timed loop took (after a warm-up of up to 200
//! requests).
//!
//! `WaHealthBench::RustFloor.sweep(urls, token, concurrency)`: the same GETs as a `fetch_many`
//! sweep, `concurrency` at a time on one thread, not parsed. Returns the seconds it took.

use std::time::{Duration, Instant};

use magnus::{function, prelude::*, Error, Ruby};

const WARM_UP: u64 = 200;

async fn get(client: &reqwest::Client, url: &str, token: &str) -> Result<(), String> {
    let response = client
        .get(url)
        .bearer_auth(token)
        .send()
        .await
        .map_err(|e| e.without_url().to_string())?;
    if !response.status().is_success() {
        return Err(format!("HTTP {}", response.status().as_u16()));
    }
    response
        .bytes()
        .await
        .map(drop)
        .map_err(|e| e.without_url().to_string())
}

/// The floors' own single-thread runtime and a plain keep-alive client: nothing of the gem's engine.
fn floor_client() -> Result<(tokio::runtime::Runtime, reqwest::Client), String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let client = reqwest::Client::builder()
        .tcp_nodelay(true)
        .pool_idle_timeout(Duration::from_secs(60))
        .build()
        .map_err(|e| e.to_string())?;
    Ok((runtime, client))
}

fn run(url: &str, token: &str, iterations: u64) -> Result<f64, String> {
    let (runtime, client) = floor_client()?;
    runtime.block_on(async {
        for _ in 0..iterations.min(WARM_UP) {
            get(&client, url, token).await?;
        }
        let started = Instant::now();
        for _ in 0..iterations {
            get(&client, url, token).await?;
        }
        Ok(started.elapsed().as_secs_f64())
    })
}

/// `urls` fetched `concurrency` at a time by one thread, no parsing: the sweep's floor.
fn run_sweep(urls: &[String], token: &str, concurrency: usize) -> Result<f64, String> {
    use futures_util::stream::{FuturesUnordered, StreamExt};
    let (runtime, client) = floor_client()?;
    runtime.block_on(async {
        let started = Instant::now();
        let mut pending = urls.iter();
        let mut running = FuturesUnordered::new();
        loop {
            while running.len() < concurrency.max(1) {
                let Some(url) = pending.next() else { break };
                running.push(get(&client, url, token));
            }
            match running.next().await {
                Some(result) => result?,
                None => break,
            }
        }
        Ok(started.elapsed().as_secs_f64())
    })
}

fn runtime_error<'a>(ruby: &'a Ruby, what: &'static str) -> impl FnOnce(String) -> Error + 'a {
    move |message| Error::new(ruby.exception_runtime_error(), format!("{what}: {message}"))
}

fn sweep(ruby: &Ruby, urls: Vec<String>, token: String, concurrency: usize) -> Result<f64, Error> {
    run_sweep(&urls, &token, concurrency).map_err(runtime_error(ruby, "RustFloor.sweep"))
}

fn fetch(ruby: &Ruby, url: String, token: String, iterations: u64) -> Result<f64, Error> {
    run(&url, &token, iterations).map_err(runtime_error(ruby, "RustFloor.fetch"))
}

#[magnus::init]
fn init(ruby: &Ruby) -> Result<(), Error> {
    let floor = ruby
        .define_module("WaHealthBench")?
        .define_module("RustFloor")?;
    floor.define_singleton_method("fetch", function!(fetch, 3))?;
    floor.define_singleton_method("sweep", function!(sweep, 3))?;
    Ok(())
}
