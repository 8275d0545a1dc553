/*
 * demangle_test.c - unit test of inspector/demangle_rust.c (Rust v0
 * demangling), run by tests/t_demangle.sh under ASan and UBSan.
 *
 *   demangle_test [ITERATIONS]
 *
 * 1. A table of symbols and the names they demangle to: real symbols of
 *    the Rust fixture and of rustc 1.95's own libraries, the examples of
 *    the rustc book's "v0 Symbol Format" chapter, and symbols written from
 *    the grammar for what those lack (constants of every kind, binders,
 *    dyn bounds, ABIs, punycode, suffixes).  The expected names follow the
 *    book's recommended demangling in rustc-demangle's alternate form
 *    ({:#}: no crate hashes, no integer type suffixes); each was checked
 *    against rustc-demangle itself.
 * 2. Invalid symbols: NULL.
 * 3. Limits: nesting deeper than DEMANGLE_RUST_MAX_DEPTH, output longer
 *    than DEMANGLE_RUST_MAX_OUT, exponential backrefs: NULL, quickly.
 * 4. demangle_rust_is_std_impl on impl paths.
 * 5. Robustness: every prefix of every table symbol, random mutations and
 *    random strings return NULL or a bounded string (the sanitizers catch
 *    the rest).
 * Prints "ok - ..." / "not ok - ..." lines and a final count; exits 1 on a
 * failure.
 */
#include "demangle_rust.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int failures, passes;

static void report(int ok, const char *what, const char *detail)
{
	if (ok) {
		passes++;
		return;
	}
	failures++;
	printf("not ok - %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
}

struct pair {
	const char *mangled, *want;
};

static const struct pair table[] = {
	/* real: the Rust fixture (fixtures/rust/waits.rs, rustc 1.95 -C symbol-mangling-version=v0) */
	{"_RNvNtCsc0W65ysIEon_5waits3svc10wait_mutex",
	 "waits::svc::wait_mutex"},
	{"_RNvCsc0W65ysIEon_5waits10wait_ready",
	 "waits::wait_ready"},
	{"_RINvCsc0W65ysIEon_5waits5spawnNCNCNvB2_4mains2_00EB2_",
	 "waits::spawn::<waits::main::{closure#4}::{closure#0}>"},
	{"_RNCINvNtCsjrHSEGnQ3l9_3std2rt10lang_startuE0Csc0W65ysIEon_5waits.llvm.4831114180848765650",
	 "std::rt::lang_start::<()>::{closure#0}"},
	{"_RNSNvYNCINvNtCsjrHSEGnQ3l9_3std2rt10lang_startuE0INtNtNtCsgEmfK2I1SDS_4core3ops8function6FnOnceuE9call_once6vtableCsc0W65ysIEon_5waits.llvm.4831114180848765650",
	 "<std::rt::lang_start<()>::{closure#0} as core::ops::function::FnOnce<()>>::call_once::{shim:vtable#0}"},
	{"_RINvNtCsgEmfK2I1SDS_4core3ptr13drop_in_placeINtNtCslNYArtu3iFV_5alloc5boxed3BoxDINtNtNtB4_3ops8function6FnOnceuEp6OutputuNtNtB4_6marker4SendEL_EECsc0W65ysIEon_5waits",
	 "core::ptr::drop_in_place::<alloc::boxed::Box<dyn core::ops::function::FnOnce<(), Output = ()> + core::marker::Send>>"},
	{"_RINvNtCsgEmfK2I1SDS_4core3ptr13drop_in_placeINtNtB4_6result6ResultINtNtNtNtCsjrHSEGnQ3l9_3std4sync6poison5mutex10MutexGuarduEINtB17_11PoisonErrorB12_EEEB1b_",
	 "core::ptr::drop_in_place::<core::result::Result<std::sync::poison::mutex::MutexGuard<()>, std::sync::poison::PoisonError<std::sync::poison::mutex::MutexGuard<()>>>>"},
	{"_RINvXs_NvMNtCslNYArtu3iFV_5alloc5sliceSp9to_vec_inhNtB5_10ConvertVec6to_vecNtNtBa_5alloc6GlobalECsjrHSEGnQ3l9_3std",
	 "<u8 as <[_]>::to_vec_in::ConvertVec>::to_vec::<alloc::alloc::Global>"},
	{"_RINvNtCsgEmfK2I1SDS_4core6escape14escape_unicodeKja_ECsgY6Mt91CT9J_14rustc_demangle",
	 "core::escape::escape_unicode::<10>"},
	{"_RINvNtNtCsjrHSEGnQ3l9_3std3sys9backtrace28___rust_begin_short_backtraceFEuuECsc0W65ysIEon_5waits",
	 "std::sys::backtrace::__rust_begin_short_backtrace::<fn(), ()>"},
	{"_RINvMNtCsgEmfK2I1SDS_4core3stre18trim_start_matchesReECsgY6Mt91CT9J_14rustc_demangle",
	 "<str>::trim_start_matches::<&str>"},
	{"_RINvMNtCsgEmfK2I1SDS_4core5sliceSh11copy_withinINtNtNtB5_3ops5range14RangeInclusivejEECsfEOYDRpO4Ta_11miniz_oxide",
	 "<[u8]>::copy_within::<core::ops::range::RangeInclusive<usize>>"},
	{"_RINvNtCsgEmfK2I1SDS_4core3ptr13drop_in_placeTjNtNtNtNtCsjrHSEGnQ3l9_3std12backtrace_rs9symbolize5gimli7MappingEEBQ_",
	 "core::ptr::drop_in_place::<(usize, std::backtrace_rs::symbolize::gimli::Mapping)>"},
	{"_RINvNtCsgEmfK2I1SDS_4core3ptr13drop_in_placeINtNvNtCsjrHSEGnQ3l9_3std2io17default_write_fmt7AdapterINtNtBL_6cursor6CursorQShEEEBN_",
	 "core::ptr::drop_in_place::<std::io::default_write_fmt::Adapter<std::io::cursor::Cursor<&mut [u8]>>>"},
	{"_RINvYINtNtNtCsgEmfK2I1SDS_4core3ops5range5RangejENtNtNtNtBa_4iter6traits8iterator8Iterator4folduNCINvNvBL_8for_each4calljNCNvCsc0W65ysIEon_5waits4mains0_0E0EB1Z_",
	 "<core::ops::range::Range<usize> as core::iter::traits::iterator::Iterator>::fold::<(), core::iter::traits::iterator::Iterator::for_each::call<usize, waits::main::{closure#2}>::{closure#0}>"},
	/* real: rustc 1.95's own librustc_driver and std */
	{"_RNvMNtNtNtNtCsjrHSEGnQ3l9_3std3sys4sync5mutex5futexNtB2_5Mutex14lock_contended",
	 "<std::sys::sync::mutex::futex::Mutex>::lock_contended"},
	{"_RNvMNtNtNtNtCsjrHSEGnQ3l9_3std3sys4sync7condvar5futexNtB2_7Condvar4wait",
	 "<std::sys::sync::condvar::futex::Condvar>::wait"},
	{"_RINvMNtNtNtCsjrHSEGnQ3l9_3std4sync6poison7condvarNtB3_7Condvar4waitbECsbi0EcKpyApm_17rustc_thread_pool",
	 "<std::sync::poison::condvar::Condvar>::wait::<bool>"},
	{"_RINvNtCsgEmfK2I1SDS_4core3ptr13drop_in_placeINtNtNtCsjrHSEGnQ3l9_3std6thread9lifecycle9JoinInneruEECsjDQNFu7nQ4C_17rustc_driver_impl",
	 "core::ptr::drop_in_place::<std::thread::lifecycle::JoinInner<()>>"},
	{"_RNSINvNtCsjrHSEGnQ3l9_3std9panicking11begin_panicReE5reifyB6_",
	 "std::panicking::begin_panic::<&str>::{shim:reify#0}"},
	{"_RNSNvMs8_NtCsgEmfK2I1SDS_4core3numo15overflowing_div5reify.cold",
	 "<u128>::overflowing_div::{shim:reify#0}.cold"},
	{"_RINvMs2_NtCs1JQOruJCR77_18rustc_hir_analysis15hir_ty_loweringDNtB6_12HirTyLowererEL_23check_param_uses_if_mcgNtNtCsdadwybgsbvk_12rustc_middle2ty2TyEB8_",
	 "<dyn rustc_hir_analysis::hir_ty_lowering::HirTyLowerer>::check_param_uses_if_mcg::<rustc_middle::ty::Ty>"},
	{"_RNvMs3_NtCslNYArtu3iFV_5alloc7raw_vecINtB5_6RawVecTOhFUKCBN_EuENtNtCsjrHSEGnQ3l9_3std5alloc6SystemE8grow_oneB13_",
	 "<alloc::raw_vec::RawVec<(*mut u8, unsafe extern \"C\" fn(*mut u8)), std::alloc::System>>::grow_one"},
	{"_RINvMs0_NtNtCs1HmMIo7Jdcu_10libloading2os4unixNtB6_7Library8get_implFG_UKCONtNtNtCs59TyybOfEHA_18rustc_codegen_llvm4llvm10enzyme_ffi14EnzymeTypeTreePxjNtB1d_13CConcreteTypeRL0_NtNtB1f_3ffi7ContextEuNCINvB2_18get_singlethreadedB14_RShE0B3G_EB1h_",
	 "<libloading::os::unix::Library>::get_impl::<for<'a> unsafe extern \"C\" fn(*mut rustc_codegen_llvm::llvm::enzyme_ffi::EnzymeTypeTree, *const i64, usize, rustc_codegen_llvm::llvm::enzyme_ffi::CConcreteType, &'a rustc_codegen_llvm::llvm::ffi::Context), <libloading::os::unix::Library>::get_singlethreaded<for<'a> unsafe extern \"C\" fn(*mut rustc_codegen_llvm::llvm::enzyme_ffi::EnzymeTypeTree, *const i64, usize, rustc_codegen_llvm::llvm::enzyme_ffi::CConcreteType, &'a rustc_codegen_llvm::llvm::ffi::Context), &[u8]>::{closure#0}, &[u8]>"},
	{"_RINvNtCsgEmfK2I1SDS_4core3ptr13drop_in_placeINtNtB4_4cell7RefCellINtNtCslNYArtu3iFV_5alloc5boxed3BoxDG2_INtNtNtB4_3ops8function5FnMutTRL3_INtNtCsairCCGeQF1y_12rustc_expand4base7ExtCtxtL2_ENtNtCsjyvvofjlheH_10rustc_span13span_encoding4SpanRL1_INtNtNtCselooBRvAVYV_20rustc_builtin_macros8deriving7generic12SubstructureL0_EEEp6OutputNtB3V_11BlockOrExprEL_EEEB3Z_",
	 "core::ptr::drop_in_place::<core::cell::RefCell<alloc::boxed::Box<dyn for<'a, 'b, 'c, 'd> core::ops::function::FnMut<(&'a rustc_expand::base::ExtCtxt<'b>, rustc_span::span_encoding::Span, &'c rustc_builtin_macros::deriving::generic::Substructure<'d>), Output = rustc_builtin_macros::deriving::generic::BlockOrExpr>>>>"},
	{"_RINvMs2_NtCskpSTIW4eawz_9measureme11stringtableNtB6_18StringTableBuilder5allocANtB6_15StringComponentj5_ECsfhTr2ijyTAe_16rustc_query_impl",
	 "<measureme::stringtable::StringTableBuilder>::alloc::<[measureme::stringtable::StringComponent; 5]>"},
	{"_RINvMNtCs2fqUAidLEe7_15rustc_serialize6opaqueNtB3_11FileEncoder19panic_invalid_writeKj10_ECs5FxD4tM6viY_14rustc_metadata",
	 "<rustc_serialize::opaque::FileEncoder>::panic_invalid_write::<16>"},
	{"_RINvMNtNtCsa4mAjElOM1d_10rustc_lint6unused8must_useNtB3_11IsTyMustUse3mapNCNCNvB3_14is_ty_must_use0s1_0EB7_",
	 "<rustc_lint::unused::must_use::IsTyMustUse>::map::<rustc_lint::unused::must_use::is_ty_must_use::{closure#0}::{closure#3}>"},
	{"_RINvCs97w3coQjPuZ_9rustc_log33init_logger_with_additional_layerNvYNtNtNtCs7OxSQD10jZQ_18tracing_subscriber8registry7sharded8RegistryNtNtCsgEmfK2I1SDS_4core7default7Default7defaultB12_EB2_.llvm.2875190197558319920.cold",
	 "rustc_log::init_logger_with_additional_layer::<<tracing_subscriber::registry::sharded::Registry as core::default::Default>::default, tracing_subscriber::registry::sharded::Registry>.llvm.2875190197558319920.cold"},
	/* the rustc book's examples (v0 Symbol Format) */
	{"_RNvMsr_NtCs3ssYzQotkvD_3std4pathNtB5_7PathBuf3newCs15kBYyAo9fc_7mycrate",
	 "<std::path::PathBuf>::new"},
	{"_RNvCs15kBYyAo9fc_7mycrate7example",
	 "mycrate::example"},
	{"_RNvMs_Cs4Cv8Wi1oAIB_7mycrateNtB4_7Example3foo",
	 "<mycrate::Example>::foo"},
	{"_RNvXCs15kBYyAo9fc_7mycrateNtB2_7ExampleNtB2_5Trait3foo",
	 "<mycrate::Example as mycrate::Trait>::foo"},
	{"_RNvYNtCs15kBYyAo9fc_7mycrate7ExampleNtB4_5Trait7exampleB4_",
	 "<mycrate::Example as mycrate::Trait>::example"},
	{"_RNCNvCsgStHSCytQ6I_7mycrate4main0B3_",
	 "mycrate::main::{closure#0}"},
	{"_RNCNvCsgStHSCytQ6I_7mycrate4mains_0B3_",
	 "mycrate::main::{closure#1}"},
	{"_RINvCsgStHSCytQ6I_7mycrate7examplelKj1_EB2_",
	 "mycrate::example::<i32, 1>"},
	{"_RNvNtNtCsgOH4LzxkuMq_7mycrateu8gdel_5qa6escher4bach",
	 "mycrate::gödel::escher::bach"},
	{"_RINvCs7qp2U7fqm6G_7mycrate7exampleFG0_RL1_hRL0_tEuEB2_",
	 "mycrate::example::<for<'a, 'b> fn(&'a u8, &'b u16)>"},
	{"_RINvCs7qp2U7fqm6G_7mycrate7exampleKy12345678_EB2_",
	 "mycrate::example::<305419896>"},
	{"_RNvNvMCsd9PVOYlP1UU_7mycrateINtB4_7ExamplepKpE3foo14EXAMPLE_STATIC",
	 "<mycrate::Example<_, _>>::foo::EXAMPLE_STATIC"},
	{"_RINvCs7qp2U7fqm6G_7mycrate7exampleAtj8_EB2_",
	 "mycrate::example::<[u16; 8]>"},
	{"_RINvCs7qp2U7fqm6G_7mycrate7exampleNtB2_7ExampleBw_EB2_",
	 "mycrate::example::<mycrate::Example, mycrate::Example>"},
	{"_RINvMsY_NtCseXNvpPnDBDp_3std4pathNtB6_4Path3neweECs7qp2U7fqm6G_7mycrate",
	 "<std::path::Path>::new::<str>"},
	/* crafted from the grammar: constants */
	{"_RINvC7mycrate3fooKb1_E",
	 "mycrate::foo::<true>"},
	{"_RINvC7mycrate3fooKb0_E",
	 "mycrate::foo::<false>"},
	{"_RINvC7mycrate3fooKc78_E",
	 "mycrate::foo::<'x'>"},
	{"_RINvC7mycrate3fooKc27_E",
	 "mycrate::foo::<'\\''>"},
	{"_RINvC7mycrate3fooKca_E",
	 "mycrate::foo::<'\\n'>"},
	{"_RINvC7mycrate3fooKc1f600_E",
	 "mycrate::foo::<'😀'>"},
	{"_RINvC7mycrate3fooKc7f_E",
	 "mycrate::foo::<'\\u{7f}'>"},
	{"_RINvC7mycrate3fooKlnf_E",
	 "mycrate::foo::<-15>"},
	{"_RINvC7mycrate3fooKxn8000000000000000_E",
	 "mycrate::foo::<-9223372036854775808>"},
	{"_RINvC7mycrate3fooKpE",
	 "mycrate::foo::<_>"},
	{"_RINvC7mycrate3fooKo123456789abcdef0123_E",
	 "mycrate::foo::<0x123456789abcdef0123>"},
	{"_RINvC7mycrate3fooKy0000000000000000000000ff_E",
	 "mycrate::foo::<255>"},
	{"_RINvC1a3fooKRe68656c6c6f_E",
	 "a::foo::<\"hello\">"},
	{"_RINvC1a3fooKRe22275c0a_E",
	 "a::foo::<\"\\\"'\\\\\\n\">"},
	{"_RINvC1a3fooKe616263_E",
	 "a::foo::<{*\"abc\"}>"},
	{"_RINvC1a3fooKAj1_j2_EE",
	 "a::foo::<{[1, 2]}>"},
	{"_RINvC1a3fooKTj1_EE",
	 "a::foo::<{(1,)}>"},
	{"_RINvC1a3fooKRAj1_EE",
	 "a::foo::<{&[1]}>"},
	{"_RINvC1a3fooKQj1_E",
	 "a::foo::<{&mut 1}>"},
	{"_RINvC1a3fooKVNtC1a1SUE",
	 "a::foo::<{a::S}>"},
	{"_RINvC1a3fooKVNtC1a1STj1_b0_EE",
	 "a::foo::<{a::S(1, false)}>"},
	{"_RINvC1a3fooKVNtC1a1SS1xj1_s_1yb0_EE",
	 "a::foo::<{a::S { x: 1, y: false }}>"},
	/* crafted: types, lifetimes, binders, paths */
	{"_RINvC7mycrate3fooDINtNtC4core3ops2FnThEEp6OutputmEL_E",
	 "mycrate::foo::<dyn core::ops::Fn<(u8,), Output = u32>>"},
	{"_RINvC7mycrate3fooDG_INtNtC4core3ops2FnTRL0_hEEp6OutputuEL_E",
	 "mycrate::foo::<dyn for<'a> core::ops::Fn<(&'a u8,), Output = ()>>"},
	{"_RINvC7mycrate3fooFK8C_unwindEzE",
	 "mycrate::foo::<extern \"C-unwind\" fn() -> !>"},
	{"_RINvC7mycrate3fooFhtEmE",
	 "mycrate::foo::<fn(u8, u16) -> u32>"},
	{"_RINvC1a3fooTmhEE",
	 "a::foo::<(u32, u8)>"},
	{"_RINvC1a3fooTmEE",
	 "a::foo::<(u32,)>"},
	{"_RINvC1a3fooAhpE",
	 "a::foo::<[u8; _]>"},
	{"_RINvC1a3fooShE",
	 "a::foo::<[u8]>"},
	{"_RINvC1a3fooPhOhRhQhRL_hE",
	 "a::foo::<*const u8, *mut u8, &u8, &mut u8, &u8>"},
	{"_RINvC1a3fooL_E",
	 "a::foo::<'_>"},
	{"_RINvC1a3fooFGp_RL1_hEuE",
	 "a::foo::<for<'a, 'b, 'c, 'd, 'e, 'f, 'g, 'h, 'i, 'j, 'k, 'l, 'm, 'n, 'o, 'p, 'q, 'r, 's, 't, 'u, 'v, 'w, 'x, 'y, 'z, '_26> fn(&'z u8)>"},
	{"_RINvC1a3fooC4f128E",
	 "a::foo::<f128>"},
	{"_RINvC1a3fooB0_E",
	 "a::foo::<a::foo>"},
	{"_RNvYC1aNtC1b1T3foo",
	 "<a as b::T>::foo"},
	{"_RNSNvC1a1f6vtable",
	 "a::f::{shim:vtable#0}"},
	{"_RNXC1a0",
	 "a::{X#0}"},
	{"_RNXC1a3abc",
	 "a::{X:abc#0}"},
	{"_RNvNvC1a03bar",
	 "a::bar"},
	{"_RNvC1a2_10",
	 "a::10"},
	{"_RC0",
	 ""},
	/* crafted: punycode (the rustc book's table) */
	{"_RNvC1au6f_5gaa",
	 "a::føø"},
	{"_RNvC1au7___ylb7e",
	 "a::α_ω"},
	{"_RNvC1au6n84amf",
	 "a::铁锈"},
	{"_RNvC1au4fq9h",
	 "a::🤦"},
	{"_RNvC1au6_2xaedc",
	 "a::ρυστ"},
	{"_RNqCs4fqI2P2rA04_11utf8_identsu30____7hkackfecea1cbdathfdh9hlq6y",
	 "utf8_idents::საჭმელად_გემრიელი_სადილი"},
	/* suffixes */
	{"_RNvC1a3foo.cold",
	 "a::foo.cold"},
	{"_RNvC1a3foo.llvm.ABC",
	 "a::foo"},
	{"_RNvC1a3foo.llvm.abc",
	 "a::foo.llvm.abc"},
};

static const char *const invalid[] = {
	"", "_", "_R", "_RC", "_RC1ab", "_Z3foov", "_ZN3foo3barE", "R1a", "__RNvC1a3foo",
	"_R0NvC1a3foo",                     /* a version number: unknown version */
	"_RNvC1a3foo$tlv$init",             /* only "." suffixes */
	"_RNvC1a3foo.a b",                  /* a suffix with a space */
	"_RNvC1a3foozzz",                   /* junk after the path */
	"_RNvC1a3fooE",
	"_RNvC1a3foo_",
	"_RNvB_3foo",                       /* a backref into itself: endless */
	"_RNvB0_3foo",                      /* a backref to itself */
	"_RNvC1a3fooB9_",                   /* a backref past itself */
	"_RINvC1a3fooBb_E",
	"_RINvC7mycrate3fooKcd800_E",      /* a surrogate is no char */
	"_RINvC7mycrate3fooKc110000_E",     /* past U+10FFFF */
	"_RINvC7mycrate3fooKb2_E",          /* bool 2 */
	"_RINvC1a3fooKjA_E",                /* uppercase hex */
	"_RINvC1a3fooKReE",                 /* str without data */
	"_RINvC1a3fooKRe80_E",              /* str not UTF-8 */
	"_RINvC1a3fooKRe616_E",             /* odd number of digits */
	"_RINvC1a3fooKC4f128E",             /* a path is no const type */
	"_RINvC7mycrate3fooFUKC_hEuE",      /* ABI "C" then "_" */
	"_RINvC7mycrate3fooFKu5ab_cdEuE",   /* a punycode ABI */
	"_RINvC7mycrate3fooFvE",
	"_RINvC1a3fooL0_E",                 /* lifetime 1 with no binder */
	"_RINvC1a3fooFG_RL2_hEuE",          /* lifetime 2 with one bound */
	"_RINvC1a3fooDG_NtC1a1TEL1_E",      /* bound outside its binder */
	"_RINvC1a3fooWhE",                  /* unknown tag */
	"_RNvC1au1_",                       /* punycode without digits */
	"_RNvCsZZZZZZZZZZZZZZZZ_1a3foo",    /* base-62 overflow */
	"_RNvC01a3foo",                     /* decimal with a leading 0 */
	"_RNvC99999999999a",                /* length past the end */
	"_RNvC1a3__x",
	"_RNvC1a3foo\xc3\xa9",              /* not ASCII */
};

/* demangle_rust_is_std_impl */
static const struct {
	const char *name;
	int want;
} impls[] = {
	{"<std::sys::sync::mutex::futex::Mutex>::lock_contended", 1},
	{"<std::sync::poison::mutex::Mutex<u64>>::lock", 1},
	{"<std::sync::poison::condvar::Condvar>::wait::<bool>", 1},
	{"<core::cell::RefCell<T> as core::fmt::Debug>::fmt", 1},
	{"<alloc::vec::Vec<app::S>>::push", 1},
	{"<str>::trim_start_matches::<&str>", 1},
	{"<[u8]>::copy_within::<core::ops::range::RangeInclusive<usize>>", 1},
	{"<u128>::overflowing_div::{shim:reify#0}", 1},
	{"<&std::fs::File as std::io::Read>::read", 1},
	{"<&mut app::W as core::fmt::Write>::write_str", 1},
	{"<dyn core::any::Any>::is::<u8>", 1},
	{"<fn() -> u8 as core::fmt::Debug>::fmt", 1},
	{"<std::thread::join_handle::JoinHandle<()>>::join", 1},
	{"<app::S as core::fmt::Debug>::fmt", 0},
	{"<std::fs::File as app::Trait>::f", 0},
	{"<app::svc::Pool>::worker_loop", 0},
	{"<dyn app::Trait>::f", 0},
	{"<app::S<std::string::String>>::new", 0},
	{"<stdx::S>::f", 0},
	{"std::thread::functions::sleep", 0}, /* plain paths: the caller's prefixes */
	{"app::f", 0},
	{"<", 0},
	{"<std::", 0},
	{"<std::a as", 0},
	{"", 0},
};

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_";

/* NULL, or a string no longer than the cap: anything else is a failure. */
static void robust(const char *in, const char *what)
{
	char *r = demangle_rust_v0(in);
	if (r && strlen(r) > DEMANGLE_RUST_MAX_OUT)
		report(0, what, in);
	free(r);
}

/* base-62-number encoding of v. */
static void put_b62(char *out, uint64_t v)
{
	char tmp[16];
	int n = 0;
	if (v == 0) {
		strcpy(out, "_");
		return;
	}
	v--;
	do {
		tmp[n++] = alphabet[v % 62 < 10 ? 52 + v % 62 : v % 62 < 36 ? 26 + v % 62 - 10 : v % 62 - 36];
		v /= 62;
	} while (v);
	for (int i = 0; i < n; i++)
		out[i] = tmp[n - 1 - i];
	out[n] = '_';
	out[n + 1] = 0;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	long iterations = argc > 1 ? atol(argv[1]) : 200000;
	size_t ntable = sizeof(table) / sizeof(*table);

	/* 1. The table. */
	for (size_t i = 0; i < ntable; i++) {
		char *got = demangle_rust_v0(table[i].mangled);
		int ok = got && strcmp(got, table[i].want) == 0;
		if (!ok) {
			printf("#   mangled:  %s\n#   expected: %s\n#   actual:   %s\n", table[i].mangled, table[i].want,
			       got ? got : "(NULL)");
		}
		report(ok, "demangles", table[i].mangled);
		free(got);
	}
	printf("%s - %zu symbols demangle as expected\n", failures ? "not ok" : "ok", ntable);

	/* 2. Invalid symbols. */
	int before = failures;
	for (size_t i = 0; i < sizeof(invalid) / sizeof(*invalid); i++) {
		char *got = demangle_rust_v0(invalid[i]);
		if (got)
			printf("#   %s -> %s\n", invalid[i], got);
		report(!got, "invalid symbol refused", invalid[i]);
		free(got);
	}
	report(!demangle_rust_v0(NULL), "NULL refused", NULL);
	printf("%s - %zu invalid symbols give NULL\n", failures > before ? "not ok" : "ok",
	       sizeof(invalid) / sizeof(*invalid) + 1);

	/* 3. Limits. */
	static char buf[1 << 16];
	char b62[20];
	/* &&&...u8: 150 levels fit, 300 do not. */
	for (int depth = 150; depth <= 300; depth += 150) {
		int n = snprintf(buf, sizeof(buf), "_RINvC1a1f");
		for (int i = 0; i < depth; i++)
			buf[n++] = 'R';
		strcpy(buf + n, "hE");
		char *got = demangle_rust_v0(buf);
		int ok = depth < DEMANGLE_RUST_MAX_DEPTH ? got && strlen(got) == strlen("a::f::<u8>") + (size_t)depth
							  : got == NULL;
		report(ok, depth < DEMANGLE_RUST_MAX_DEPTH ? "150 nested references demangle" : "300 nested references refused", NULL);
		printf("%s - %d nested references: %s\n", ok ? "ok" : "not ok", depth, got ? "demangled" : "NULL");
		free(got);
	}
	/* A chain of unnamed nested paths prints nothing per level. */
	{
		int n = 2;
		memcpy(buf, "_R", 2);
		for (int i = 0; i < 150; i++)
			n += sprintf(buf + n, "Nv");
		n += sprintf(buf + n, "C1a");
		for (int i = 0; i < 150; i++)
			buf[n++] = '0';
		buf[n] = 0;
		char *got = demangle_rust_v0(buf);
		int ok = got && strcmp(got, "a") == 0;
		report(ok, "150 unnamed nested paths", got);
		printf("%s - 150 unnamed nested paths demangle to the crate\n", ok ? "ok" : "not ok");
		free(got);
	}
	/* Exponential backrefs: argument k is (k-1, k-1), 60 levels would
	 * print 2^60 names; the output cap stops it at once. */
	{
		int n = snprintf(buf, sizeof(buf), "_RINvC1a1fh");
		size_t prev = 8; /* offset of "h" after "_R" */
		for (int k = 0; k < 60; k++) {
			size_t here = (size_t)n - 2;
			put_b62(b62, prev);
			n += snprintf(buf + n, sizeof(buf) - (size_t)n, "TB%sB%sE", b62, b62);
			prev = here;
		}
		strcpy(buf + n, "E");
		double t0 = now();
		char *got = demangle_rust_v0(buf);
		double dt = now() - t0;
		int ok = !got && dt < 2.0;
		report(ok, "exponential backrefs refused quickly", NULL);
		printf("%s - exponential backrefs: %s in %.3f s\n", ok ? "ok" : "not ok", got ? "demangled" : "NULL", dt);
		free(got);
		/* The first levels fit: (u8, u8), ((u8, u8), (u8, u8)). */
		n = snprintf(buf, sizeof(buf), "_RINvC1a1fhTB7_B7_ETB8_B8_EE");
		got = demangle_rust_v0(buf);
		ok = got && strcmp(got, "a::f::<u8, (u8, u8), ((u8, u8), (u8, u8))>") == 0;
		report(ok, "backrefs to types", got);
		printf("%s - backrefs to types: %s\n", ok ? "ok" : "not ok", got ? got : "NULL");
		free(got);
	}
	/* Output just under and over the cap: a crate name of 4000 and 5000. */
	for (int len = 4000; len <= 5000; len += 1000) {
		int n = snprintf(buf, sizeof(buf), "_RC%d", len);
		for (int i = 0; i < len; i++)
			buf[n++] = 'x';
		buf[n] = 0;
		char *got = demangle_rust_v0(buf);
		int ok = len <= DEMANGLE_RUST_MAX_OUT ? got && strlen(got) == (size_t)len : got == NULL;
		report(ok, "output cap", NULL);
		printf("%s - a %d-byte name: %s\n", ok ? "ok" : "not ok", len, got ? "demangled" : "NULL");
		free(got);
	}
	/* A huge binder. */
	{
		char *got = demangle_rust_v0("_RINvC1a3fooFGzzzzzz_RL1_hEuE");
		report(!got, "huge binder refused", got);
		printf("%s - a binder of 56 billion lifetimes refused\n", got ? "not ok" : "ok");
		free(got);
	}

	/* 4. Standard library impls. */
	before = failures;
	for (size_t i = 0; i < sizeof(impls) / sizeof(*impls); i++) {
		int got = demangle_rust_is_std_impl(impls[i].name);
		if (got != impls[i].want)
			printf("#   %s: %d, expected %d\n", impls[i].name, got, impls[i].want);
		report(got == impls[i].want, "is_std_impl", impls[i].name);
	}
	report(!demangle_rust_is_std_impl(NULL), "is_std_impl(NULL)", NULL);
	printf("%s - standard library impls told from the program's\n", failures > before ? "not ok" : "ok");

	/* 5. Robustness. */
	before = failures;
	for (size_t i = 0; i < ntable; i++) {
		size_t len = strlen(table[i].mangled);
		for (size_t k = 0; k <= len; k++) {
			memcpy(buf, table[i].mangled, k);
			buf[k] = 0;
			robust(buf, "truncated");
		}
	}
	for (long it = 0; it < iterations; it++) {
		const char *src = table[next_rand() % ntable].mangled;
		size_t len = strlen(src);
		if (len >= sizeof(buf) / 2)
			continue;
		memcpy(buf, src, len + 1);
		int edits = 1 + (int)(next_rand() % 4);
		for (int e = 0; e < edits; e++) {
			size_t at = len > 2 ? 2 + next_rand() % (len - 2) : len;
			switch (next_rand() % 5) {
			case 0: /* replace */
				if (at < len)
					buf[at] = alphabet[next_rand() % (sizeof(alphabet) - 1)];
				break;
			case 1: /* insert */
				memmove(buf + at + 1, buf + at, len - at + 1);
				buf[at] = alphabet[next_rand() % (sizeof(alphabet) - 1)];
				len++;
				break;
			case 2: /* delete */
				if (at < len) {
					memmove(buf + at, buf + at + 1, len - at);
					len--;
				}
				break;
			case 3: /* truncate */
				buf[at] = 0;
				len = at;
				break;
			default: /* a random byte, any value */
				if (at < len)
					buf[at] = (char)(1 + next_rand() % 255);
				break;
			}
		}
		robust(buf, "mutated");
	}
	for (long it = 0; it < iterations; it++) {
		size_t len = 2 + next_rand() % 64;
		buf[0] = '_';
		buf[1] = 'R';
		for (size_t k = 2; k < len; k++)
			buf[k] = alphabet[next_rand() % (sizeof(alphabet) - 1)];
		buf[len] = 0;
		robust(buf, "random");
	}
	printf("%s - truncated, mutated (%ld) and random (%ld) symbols: NULL or bounded\n",
	       failures > before ? "not ok" : "ok", iterations, iterations);

	printf("# demangle_test: %d checks passed, %d failed\n", passes, failures);
	return failures ? 1 : 0;
}
