// SPDX-License-Identifier: MIT
//
// Ctrl-C handling. SIGINT and SIGTERM set one process-wide stop flag; long loops poll it, finish
// or discard the item in hand, leave every file they had finished readable, and return. main()
// then exits with 130. A second SIGINT ends the process at once (exit 130): files written through
// core/atomic_file are never seen half-written, so even that loses only unfinished work. A command
// driving hardware may defer that exit (set_second_interrupt_fd) to make the hardware safe first.
#pragma once

#include <atomic>

namespace rcls {

/// Installs the SIGINT/SIGTERM handlers. Call once, from main().
void install_interrupt_handlers();

/// True once SIGINT or SIGTERM arrived (or request_interrupt() was called). Thread-safe.
bool interrupted() noexcept;

/// Sets the stop flag as a signal would; for tests and for commands that stop themselves.
void request_interrupt() noexcept;

/// Clears the stop flag; for tests.
void reset_interrupt() noexcept;

/// Throws InterruptedError when the stop flag is set.
void throw_if_interrupted();

/// A function the second-Ctrl-C path calls from the signal handler just before it ends the
/// process (so only async-signal-safe calls inside), e.g. to put the terminal back out of raw
/// mode (src/cli/terminal_keys). One at a time; nullptr removes it.
using ImmediateExitHook = void (*)() noexcept;
void set_immediate_exit_hook(ImmediateExitHook hook) noexcept;

/// Defers the second Ctrl-C: with `fd` >= 0 (a pipe's write end) the second SIGINT writes one
/// byte to `fd` and returns, instead of ending the process; a thread of the command that reads
/// the pipe makes the hardware safe within a bounded time (e.g. torque off) and then calls
/// exit_interrupted_now(). A third SIGINT ends the process at once as before. -1 (the default)
/// restores the immediate exit on the second SIGINT.
void set_second_interrupt_fd(int fd) noexcept;

/// The end of the deferred second-Ctrl-C path: the immediate-exit hook, then _exit(130).
[[noreturn]] void exit_interrupted_now() noexcept;

}  // namespace rcls
