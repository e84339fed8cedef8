//! A surfpool network (LiteSVM behind the standard JSON-RPC API) on 127.0.0.1, offline, with
//! Ballast registered as a native builtin at its program id.
//!
//! Two clocks: [`SurfnetOptions::interactive`] runs like a cluster (a slot every 400 ms, time
//! passing with the wall clock) for a person; [`SurfnetOptions::deterministic`] makes a slot per
//! transaction, 1 ms each, so that time moves only by `surfnet_timeTravel` (to whole seconds)
//! and by a millisecond per transaction: a test sees exactly the second it set, for up to 999
//! transactions per second of its time.

// solana-program-test 3.x marks its API (the syscall stubs, the builtin adapter) "unstable".
#![allow(deprecated)]

use std::net::TcpListener;
use std::sync::Once;
use std::time::Duration;

use crossbeam_channel::{unbounded, Receiver, Sender};
use surfpool_core::surfnet::svm::{SurfnetSvm, SurfnetSvmConfig};
pub use surfpool_types::types::BlockProductionMode;
use surfpool_types::types::{RpcConfig, SimnetConfig};
use surfpool_types::{SimnetCommand, SimnetEvent, SurfpoolConfig};

/// How to start a network.
#[derive(Debug, Clone)]
pub struct SurfnetOptions {
    /// The RPC port on 127.0.0.1 (`0`: any free port).
    pub rpc_port: u16,
    /// The websocket port on 127.0.0.1 (`0`: any free port).
    pub ws_port: u16,
    /// Milliseconds per slot.
    pub slot_time_ms: u64,
    /// When slots are made: on a timer (`Clock`) or one per transaction (`Transaction`).
    pub block_production_mode: BlockProductionMode,
    /// Print each processed transaction (signature and outcome) to stderr.
    pub log_transactions: bool,
}

impl SurfnetOptions {
    /// Like a cluster, for a person: a slot every 400 ms.
    pub fn interactive() -> SurfnetOptions {
        SurfnetOptions {
            rpc_port: 0,
            ws_port: 0,
            slot_time_ms: 400,
            block_production_mode: BlockProductionMode::Clock,
            log_transactions: false,
        }
    }

    /// For tests: a 1 ms slot per transaction, time otherwise still.
    pub fn deterministic() -> SurfnetOptions {
        SurfnetOptions {
            slot_time_ms: 1,
            block_production_mode: BlockProductionMode::Transaction,
            ..SurfnetOptions::interactive()
        }
    }
}

/// A running network. It serves until dropped (never call `surfnet_resetNetwork` on it: that
/// rebuilds the SVM without the builtin).
pub struct Surfnet {
    /// `http://127.0.0.1:<port>`.
    pub url: String,
    /// `ws://127.0.0.1:<port>`.
    pub ws_url: String,
    commands: Sender<SimnetCommand>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for Surfnet {
    /// Stops the network: its RPC servers close and its SVM is freed.
    fn drop(&mut self) {
        let _ = self.commands.send(SimnetCommand::Terminate(None));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        // surfpool closes its RPC servers on a thread of their own: wait until the port
        // refuses connections, so that "dropped" means "no longer serving".
        let address = self.url.trim_start_matches("http://").to_string();
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while std::time::Instant::now() < deadline && std::net::TcpStream::connect(&address).is_ok()
        {
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// A port nobody listens on at the moment, on the loopback interface.
fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Ballast's token CPIs run through solana-program-test's syscall stubs, which it installs only
/// while it sets up a bank (a private `Once`): one throwaway bank, once per process, installs
/// them for every later native invocation, the network's included.
fn install_syscall_stubs() {
    static STUBS: Once = Once::new();
    STUBS.call_once(|| {
        std::thread::spawn(|| {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime");
            runtime.block_on(async {
                let _ = ballast_bank::program_test().start().await;
            });
        })
        .join()
        .expect("the syscall stubs install");
    });
}

/// Ballast's native entrypoint in the runtime's builtin form: what `solana_program_test::processor!`
/// expands to, written with the runtime's own function type so that it coerces to it.
#[allow(deprecated)]
fn native_entrypoint(
    vm: *mut solana_program_test::EbpfVm<solana_program_test::InvokeContext>,
    _arg0: u64,
    _arg1: u64,
    _arg2: u64,
    _arg3: u64,
    _arg4: u64,
) {
    // SAFETY: as in `processor!`: the runtime passes the VM's context pointer offset by its
    // environment key, and the VM outlives the call.
    let vm = unsafe {
        &mut *((vm as *mut u64)
            .offset(-(solana_program_test::get_runtime_environment_key() as isize))
            as *mut solana_program_test::EbpfVm<solana_program_test::InvokeContext>)
    };
    vm.program_result = solana_program_test::invoke_builtin_function(
        ballast_bank::process_instruction,
        vm.context_object_pointer,
    )
    .map_err(solana_program_test::EbpfError::SyscallError)
    .into();
}

/// Starts a network and waits until it serves.
pub fn start(options: &SurfnetOptions) -> anyhow::Result<Surfnet> {
    install_syscall_stubs();
    let rpc_port = match options.rpc_port {
        0 => free_port()?,
        port => port,
    };
    let ws_port = match options.ws_port {
        0 => free_port()?,
        port => port,
    };
    let (mut svm, events, geyser_events) = SurfnetSvm::new(SurfnetSvmConfig {
        slot_time: options.slot_time_ms,
        ..SurfnetSvmConfig::default()
    })
    .map_err(|error| anyhow::anyhow!("surfnet: {error}"))?;
    svm.inner.svm.add_builtin(ballast::ID, native_entrypoint);
    let config = SurfpoolConfig {
        simnets: vec![SimnetConfig {
            // Offline: no remote datasource, nothing fetched from any cluster.
            offline_mode: true,
            remote_rpc_url: None,
            slot_time: options.slot_time_ms,
            block_production_mode: options.block_production_mode.clone(),
            ..SimnetConfig::default()
        }],
        rpc: RpcConfig {
            bind_host: "127.0.0.1".into(),
            bind_port: rpc_port,
            ws_port,
            gossip_port: free_port()?,
            tpu_port: free_port()?,
            tpu_quic_port: free_port()?,
        },
        ..SurfpoolConfig::default()
    };
    let (commands_tx, commands_rx) = unbounded();
    let commands = commands_tx.clone();
    let thread = std::thread::Builder::new()
        .name("surfnet".into())
        .spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("a runtime");
            let result = runtime.block_on(surfpool_core::start_local_surfnet(
                svm,
                config,
                commands_tx,
                commands_rx,
                geyser_events,
            ));
            if let Err(error) = result {
                eprintln!("surfnet stopped: {error}");
            }
            runtime.shutdown_timeout(Duration::from_secs(2));
        })?;
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        match events.recv_timeout(left) {
            Ok(SimnetEvent::Ready(_)) => break,
            Ok(SimnetEvent::Aborted(reason)) => anyhow::bail!("surfnet aborted: {reason}"),
            Ok(_) => {}
            Err(_) => anyhow::bail!("surfnet did not start within 30 s"),
        }
    }
    // The network reports every transaction and log line on this channel: drain it for as long
    // as the network runs, so that nothing accumulates.
    let log_transactions = options.log_transactions;
    std::thread::Builder::new()
        .name("surfnet-events".into())
        .spawn(move || drain(events, log_transactions))?;
    Ok(Surfnet {
        url: format!("http://127.0.0.1:{rpc_port}"),
        ws_url: format!("ws://127.0.0.1:{ws_port}"),
        commands,
        thread: Some(thread),
    })
}

fn drain(events: Receiver<SimnetEvent>, log_transactions: bool) {
    for event in events {
        if !log_transactions {
            continue;
        }
        if let SimnetEvent::TransactionProcessed(_, metadata, error) = event {
            match error {
                None => eprintln!("tx {} ok", metadata.signature),
                Some(error) => eprintln!("tx {} failed: {error}", metadata.signature),
            }
        }
    }
}
