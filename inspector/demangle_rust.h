/* demangle_rust.h - Rust "v0" symbol demangling (RFC 2603, "_R..." names).
 *
 * Prints what rustc-demangle prints in its alternate form ({:#}): paths
 * without crate disambiguator hashes, integer constants without a type
 * suffix, e.g. "<std::sync::mutex::Mutex<T>>::lock" or
 * "std::sync::condvar::Condvar::wait_while::<u32, r::svc::park::{closure#0}>".
 * The input comes from the target: parsing is bounded (nesting depth 200,
 * output 4 KiB, backrefs only backwards) and never reads past the string. */
#ifndef PILEUP_DEMANGLE_RUST_H
#define PILEUP_DEMANGLE_RUST_H

#include <stdbool.h>

/* Longest demangled name; longer ones are refused (NULL). */
#define DEMANGLE_RUST_MAX_OUT 4096
/* Deepest nesting of paths, types and constants (backrefs included). */
#define DEMANGLE_RUST_MAX_DEPTH 200

/* The demangled form of a v0 symbol, malloc'd; NULL if mangled is not a
 * valid v0 symbol (or its demangled form is too long or too deep).
 * Suffixes as rustc-demangle: ".llvm.<hex>" is dropped, another "."
 * suffix of printable ASCII (".cold") is kept, anything else is invalid. */
char *demangle_rust_v0(const char *mangled);

/* True for a demangled Rust name of the standard library's code that
 * starts with "<": impls of its types ("<std::sync::mutex::Mutex<T>>::lock",
 * "<core::cell::RefCell<T> as core::fmt::Debug>::fmt") and the inherent
 * impls of primitives, which only core/alloc/std may write ("<str>::find",
 * "<[u8]>::to_vec").  A program's impls ("<app::S as core::fmt::Debug>::fmt",
 * "<std::fs::File as app::Trait>::f") are not.  Plain "std::..." paths are
 * the caller's business. */
bool demangle_rust_is_std_impl(const char *name);

#endif
