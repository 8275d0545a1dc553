/* go/layout_fields.h - every runtime fact pileup reads from a Go program,
 * named once.
 *
 * GOLAYOUT_FIELDS lists them as X-macros of three kinds:
 *   F(id, "struct", "path")  offset and size of a member (path: members
 *                            joined by '.', alternatives by '|')
 *   S(id, "struct")          size of a structure
 *   C(id, "constant")        value of an integer constant
 * Names are those of the runtime's DWARF (struct names may have '|'
 * alternatives too: a type that moved between packages or was renamed).
 * The DWARF reader (layout_dwarf.c) resolves each name; the per-release
 * tables (layout_go1XX.c) give the same facts for binaries without DWARF;
 * tests/t_go_layout.sh checks that both agree.  A fact a release does not
 * have (a field added later) is simply absent from its table and its
 * DWARF.  All of it is linux/amd64. */
#ifndef PILEUP_GOLANG_LAYOUT_FIELDS_H
#define PILEUP_GOLANG_LAYOUT_FIELDS_H

#define GOLAYOUT_FIELDS(F, S, C)                                                                                       \
	/* runtime.g: a goroutine */                                                                                   \
	F(g_stack_lo, "runtime.g", "stack.lo")                                                                         \
	F(g_stack_hi, "runtime.g", "stack.hi")                                                                         \
	F(g_m, "runtime.g", "m")                                                                                       \
	F(g_sched_sp, "runtime.g", "sched.sp")                                                                         \
	F(g_sched_pc, "runtime.g", "sched.pc")                                                                         \
	F(g_sched_ctxt, "runtime.g", "sched.ctxt")                                                                     \
	F(g_sched_bp, "runtime.g", "sched.bp")                                                                         \
	F(g_syscallsp, "runtime.g", "syscallsp")                                                                       \
	F(g_syscallpc, "runtime.g", "syscallpc")                                                                       \
	F(g_syscallbp, "runtime.g", "syscallbp")                                                                       \
	F(g_param, "runtime.g", "param")                                                                               \
	F(g_atomicstatus, "runtime.g", "atomicstatus")                                                                 \
	F(g_goid, "runtime.g", "goid")                                                                                 \
	F(g_schedlink, "runtime.g", "schedlink")                                                                       \
	F(g_waitsince, "runtime.g", "waitsince")                                                                       \
	F(g_waitreason, "runtime.g", "waitreason")                                                                     \
	F(g_lockedm, "runtime.g", "lockedm")                                                                           \
	F(g_parent_goid, "runtime.g", "parentGoid")                                                                    \
	F(g_gopc, "runtime.g", "gopc")                                                                                 \
	F(g_ancestors, "runtime.g", "ancestors")                                                                       \
	F(g_startpc, "runtime.g", "startpc")                                                                           \
	F(g_waiting, "runtime.g", "waiting")                                                                           \
	F(g_labels, "runtime.g", "labels")                                                                             \
	F(g_timer, "runtime.g", "timer")                                                                               \
	F(g_sleepwhen, "runtime.g", "sleepWhen")                                                                       \
	F(g_selectdone, "runtime.g", "selectDone")                                                                     \
	F(g_bubble, "runtime.g", "bubble|syncGroup")                                                                   \
	S(g_size, "runtime.g")                                                                                         \
	S(gobuf_size, "runtime.gobuf")                                                                                 \
	/* runtime.m: an OS thread */                                                                                  \
	F(m_g0, "runtime.m", "g0")                                                                                     \
	F(m_procid, "runtime.m", "procid")                                                                             \
	F(m_gsignal, "runtime.m", "gsignal")                                                                           \
	F(m_curg, "runtime.m", "curg")                                                                                 \
	F(m_p, "runtime.m", "p")                                                                                       \
	F(m_id, "runtime.m", "id")                                                                                     \
	F(m_alllink, "runtime.m", "alllink")                                                                           \
	F(m_lockedg, "runtime.m", "lockedg")                                                                           \
	S(m_size, "runtime.m")                                                                                         \
	/* runtime.ancestorInfo (GODEBUG=tracebackancestors) */                                                        \
	F(anc_pcs, "runtime.ancestorInfo", "pcs")                                                                      \
	F(anc_goid, "runtime.ancestorInfo", "goid")                                                                    \
	F(anc_gopc, "runtime.ancestorInfo", "gopc")                                                                    \
	S(anc_size, "runtime.ancestorInfo")                                                                            \
	/* runtime.moduledata: one per executable or shared object */                                                  \
	F(md_pcheader, "runtime.moduledata", "pcHeader")                                                               \
	F(md_funcnametab, "runtime.moduledata", "funcnametab")                                                         \
	F(md_cutab, "runtime.moduledata", "cutab")                                                                     \
	F(md_filetab, "runtime.moduledata", "filetab")                                                                 \
	F(md_pctab, "runtime.moduledata", "pctab")                                                                     \
	F(md_pclntable, "runtime.moduledata", "pclntable")                                                             \
	F(md_ftab, "runtime.moduledata", "ftab")                                                                       \
	F(md_findfunctab, "runtime.moduledata", "findfunctab")                                                         \
	F(md_minpc, "runtime.moduledata", "minpc")                                                                     \
	F(md_maxpc, "runtime.moduledata", "maxpc")                                                                     \
	F(md_text, "runtime.moduledata", "text")                                                                       \
	F(md_etext, "runtime.moduledata", "etext")                                                                     \
	F(md_noptrdata, "runtime.moduledata", "noptrdata")                                                             \
	F(md_enoptrdata, "runtime.moduledata", "enoptrdata")                                                           \
	F(md_data, "runtime.moduledata", "data")                                                                       \
	F(md_edata, "runtime.moduledata", "edata")                                                                     \
	F(md_bss, "runtime.moduledata", "bss")                                                                         \
	F(md_ebss, "runtime.moduledata", "ebss")                                                                       \
	F(md_noptrbss, "runtime.moduledata", "noptrbss")                                                               \
	F(md_enoptrbss, "runtime.moduledata", "enoptrbss")                                                             \
	F(md_covctrs, "runtime.moduledata", "covctrs")                                                                 \
	F(md_ecovctrs, "runtime.moduledata", "ecovctrs")                                                               \
	F(md_end, "runtime.moduledata", "end")                                                                         \
	F(md_gcdata, "runtime.moduledata", "gcdata")                                                                   \
	F(md_gcbss, "runtime.moduledata", "gcbss")                                                                     \
	F(md_types, "runtime.moduledata", "types")                                                                     \
	F(md_typedesclen, "runtime.moduledata", "typedesclen")                                                         \
	F(md_etypes, "runtime.moduledata", "etypes")                                                                   \
	F(md_rodata, "runtime.moduledata", "rodata")                                                                   \
	F(md_gofunc, "runtime.moduledata", "gofunc")                                                                   \
	F(md_epclntab, "runtime.moduledata", "epclntab")                                                               \
	F(md_textsectmap, "runtime.moduledata", "textsectmap")                                                         \
	F(md_typelinks, "runtime.moduledata", "typelinks")                                                             \
	F(md_itablinks, "runtime.moduledata", "itablinks")                                                             \
	F(md_modulename, "runtime.moduledata", "modulename")                                                           \
	F(md_hasmain, "runtime.moduledata", "hasmain")                                                                 \
	F(md_gcdatamask, "runtime.moduledata", "gcdatamask")                                                           \
	F(md_gcbssmask, "runtime.moduledata", "gcbssmask")                                                             \
	F(md_next, "runtime.moduledata", "next")                                                                       \
	S(md_size, "runtime.moduledata")                                                                               \
	F(ts_vaddr, "runtime.textsect", "vaddr")                                                                       \
	F(ts_end, "runtime.textsect", "end")                                                                           \
	F(ts_length, "runtime.textsect", "length")                                                                     \
	F(ts_baseaddr, "runtime.textsect", "baseaddr")                                                                 \
	S(ts_size, "runtime.textsect")                                                                                 \
	F(bv_n, "runtime.bitvector", "n")                                                                              \
	F(bv_bytedata, "runtime.bitvector", "bytedata")                                                                \
	/* runtime.mstats: the clocks at the last GC, which date a core */                                             \
	F(mstats_heapstats, "runtime.mstats", "heapStats")                                                             \
	F(mstats_last_gc_unix, "runtime.mstats", "last_gc_unix")                                                       \
	F(mstats_last_gc_nanotime, "runtime.mstats", "last_gc_nanotime")                                               \
	/* g status values (atomicstatus; _Gscan is a bit added to them) */                                            \
	C(c_Gidle, "runtime._Gidle")                                                                                   \
	C(c_Grunnable, "runtime._Grunnable")                                                                           \
	C(c_Grunning, "runtime._Grunning")                                                                             \
	C(c_Gsyscall, "runtime._Gsyscall")                                                                             \
	C(c_Gwaiting, "runtime._Gwaiting")                                                                             \
	C(c_Gdead, "runtime._Gdead")                                                                                   \
	C(c_Gcopystack, "runtime._Gcopystack")                                                                         \
	C(c_Gpreempted, "runtime._Gpreempted")                                                                         \
	C(c_Gleaked, "runtime._Gleaked")                                                                               \
	C(c_Gdeadextra, "runtime._Gdeadextra")                                                                         \
	C(c_Gscan, "runtime._Gscan")                                                                                   \
	/* funcID: what the pclntab says of the runtime's special functions */                                         \
	C(fid_normal, "runtime.funcID_normal|internal/abi.FuncIDNormal")                                               \
	C(fid_abort, "runtime.funcID_abort|internal/abi.FuncID_abort")                                                 \
	C(fid_asmcgocall, "runtime.funcID_asmcgocall|internal/abi.FuncID_asmcgocall")                                  \
	C(fid_asyncpreempt, "runtime.funcID_asyncPreempt|internal/abi.FuncID_asyncPreempt")                            \
	C(fid_cgocallback, "runtime.funcID_cgocallback|internal/abi.FuncID_cgocallback")                               \
	C(fid_corostart, "runtime.funcID_corostart|internal/abi.FuncID_corostart")                                     \
	C(fid_debugcallv2, "runtime.funcID_debugCallV2|internal/abi.FuncID_debugCallV2")                               \
	C(fid_gcbgmarkworker, "runtime.funcID_gcBgMarkWorker|internal/abi.FuncID_gcBgMarkWorker")                      \
	C(fid_goexit, "runtime.funcID_goexit|internal/abi.FuncID_goexit")                                              \
	C(fid_gogo, "runtime.funcID_gogo|internal/abi.FuncID_gogo")                                                    \
	C(fid_gopanic, "runtime.funcID_gopanic|internal/abi.FuncID_gopanic")                                           \
	C(fid_handleasyncevent, "runtime.funcID_handleAsyncEvent|internal/abi.FuncID_handleAsyncEvent")                \
	C(fid_jmpdefer, "runtime.funcID_jmpdefer")                                                                     \
	C(fid_mcall, "runtime.funcID_mcall|internal/abi.FuncID_mcall")                                                 \
	C(fid_morestack, "runtime.funcID_morestack|internal/abi.FuncID_morestack")                                     \
	C(fid_mstart, "runtime.funcID_mstart|internal/abi.FuncID_mstart")                                              \
	C(fid_panicwrap, "runtime.funcID_panicwrap|internal/abi.FuncID_panicwrap")                                     \
	C(fid_rt0_go, "runtime.funcID_rt0_go|internal/abi.FuncID_rt0_go")                                              \
	C(fid_runfinq, "runtime.funcID_runfinq|internal/abi.FuncID_runfinq|internal/abi.FuncID_runFinalizers")         \
	C(fid_runcleanups, "internal/abi.FuncID_runCleanups")                                                          \
	C(fid_runtime_main, "runtime.funcID_runtime_main|internal/abi.FuncID_runtime_main")                            \
	C(fid_sigpanic, "runtime.funcID_sigpanic|internal/abi.FuncID_sigpanic")                                        \
	C(fid_systemstack, "runtime.funcID_systemstack|internal/abi.FuncID_systemstack")                               \
	C(fid_systemstack_switch, "runtime.funcID_systemstack_switch|internal/abi.FuncID_systemstack_switch")          \
	C(fid_wrapper, "runtime.funcID_wrapper|internal/abi.FuncIDWrapper")                                            \
	/* funcFlag bits */                                                                                            \
	C(ff_topframe, "runtime.funcFlag_TOPFRAME|internal/abi.FuncFlagTopFrame")                                      \
	C(ff_spwrite, "runtime.funcFlag_SPWRITE|internal/abi.FuncFlagSPWrite")                                         \
	C(ff_asm, "runtime.funcFlag_ASM|internal/abi.FuncFlagAsm")                                                     \
	/* issue 12: what a goroutine waits on */                                                                      \
	F(sg_g, "runtime.sudog", "g")                                                                                  \
	F(sg_next, "runtime.sudog", "next")                                                                            \
	F(sg_prev, "runtime.sudog", "prev")                                                                            \
	F(sg_elem, "runtime.sudog", "elem")                                                                            \
	F(sg_elem_vu, "runtime.sudog", "elem.vu")                                                                      \
	F(sg_acquiretime, "runtime.sudog", "acquiretime")                                                              \
	F(sg_ticket, "runtime.sudog", "ticket")                                                                        \
	F(sg_isselect, "runtime.sudog", "isSelect")                                                                    \
	F(sg_success, "runtime.sudog", "success")                                                                      \
	F(sg_waiters, "runtime.sudog", "waiters")                                                                      \
	F(sg_parent, "runtime.sudog", "parent")                                                                        \
	F(sg_waitlink, "runtime.sudog", "waitlink")                                                                    \
	F(sg_waittail, "runtime.sudog", "waittail")                                                                    \
	F(sg_c, "runtime.sudog", "c")                                                                                  \
	F(sg_c_vu, "runtime.sudog", "c.maybeTraceablePtr.vu")                                                          \
	S(sg_size, "runtime.sudog")                                                                                    \
	F(ch_qcount, "runtime.hchan", "qcount")                                                                        \
	F(ch_dataqsiz, "runtime.hchan", "dataqsiz")                                                                    \
	F(ch_buf, "runtime.hchan", "buf")                                                                              \
	F(ch_elemsize, "runtime.hchan", "elemsize")                                                                    \
	F(ch_closed, "runtime.hchan", "closed")                                                                        \
	F(ch_timer, "runtime.hchan", "timer")                                                                          \
	F(ch_elemtype, "runtime.hchan", "elemtype")                                                                    \
	F(ch_sendx, "runtime.hchan", "sendx")                                                                          \
	F(ch_recvx, "runtime.hchan", "recvx")                                                                          \
	F(ch_recvq, "runtime.hchan", "recvq")                                                                          \
	F(ch_sendq, "runtime.hchan", "sendq")                                                                          \
	F(ch_bubble, "runtime.hchan", "bubble")                                                                        \
	F(ch_lock, "runtime.hchan", "lock")                                                                            \
	S(ch_size, "runtime.hchan")                                                                                    \
	F(wq_first, "runtime.waitq", "first")                                                                          \
	F(wq_last, "runtime.waitq", "last")                                                                            \
	F(mutex_key, "runtime.mutex", "key")                                                                           \
	/* the semaphore table: semtable[semTabSize] of {root semaRoot; pad}, each                                    \
	 * root a treap of sudogs by address (prev, next: children; waitlink:                                         \
	 * the other waiters of one address); the waiters before go1.26 */                                            \
	F(sr_treap, "runtime.semaRoot", "treap")                                                                       \
	F(sr_nwait, "runtime.semaRoot", "nwait")                                                                       \
	S(sr_size, "runtime.semaRoot")                                                                                 \
	C(c_semtabsize, "runtime.semTabSize")                                                                          \
	S(mutex_size, "runtime.mutex")                                                                                 \
	/* the type descriptor; a name is at moduledata.types + str: a flags                                           \
	 * byte, a uvarint length, the bytes (every release from 1.17 on) */                                           \
	F(ty_size, "runtime._type|internal/abi.Type", "size|Size_")                                                    \
	F(ty_ptrdata, "runtime._type|internal/abi.Type", "ptrdata|PtrBytes")                                           \
	F(ty_hash, "runtime._type|internal/abi.Type", "hash|Hash")                                                     \
	F(ty_tflag, "runtime._type|internal/abi.Type", "tflag|TFlag")                                                  \
	F(ty_align, "runtime._type|internal/abi.Type", "align|Align_")                                                 \
	F(ty_fieldalign, "runtime._type|internal/abi.Type", "fieldAlign|FieldAlign_")                                  \
	F(ty_kind, "runtime._type|internal/abi.Type", "kind|Kind_")                                                    \
	F(ty_equal, "runtime._type|internal/abi.Type", "equal|Equal")                                                  \
	F(ty_gcdata, "runtime._type|internal/abi.Type", "gcdata|GCData")                                               \
	F(ty_str, "runtime._type|internal/abi.Type", "str|Str")                                                        \
	F(ty_ptrtothis, "runtime._type|internal/abi.Type", "ptrToThis|PtrToThis")                                      \
	S(ty_sizeof, "runtime._type|internal/abi.Type")                                                                \
	C(c_tflag_uncommon, "runtime.tflagUncommon|internal/abi.TFlagUncommon")                                        \
	C(c_tflag_extrastar, "runtime.tflagExtraStar|internal/abi.TFlagExtraStar")                                     \
	C(c_tflag_named, "runtime.tflagNamed|internal/abi.TFlagNamed")                                                 \
	C(c_kind_mask, "runtime.kindMask|internal/abi.KindMask")                                                       \
	C(c_kind_directiface, "runtime.kindDirectIface|internal/abi.KindDirectIface")                                  \
	C(c_kind_chan, "runtime.kindChan|internal/abi.Chan")                                                           \
	/* StructField.offset holds offset << 1 | embedded before go1.19:                                              \
	 * the shift (1) is a table fact only; absent means 0 */                                                       \
	C(c_structfield_embed_bit, "")                                                                                 \
	/* sync.Mutex (1.24+: a wrapper around internal/sync.Mutex) */                                                 \
	F(mu_state, "sync.Mutex", "state|mu.state")                                                                    \
	F(mu_sema, "sync.Mutex", "sema|mu.sema")                                                                       \
	S(mu_size, "sync.Mutex")                                                                                       \
	C(c_mutex_locked, "sync.mutexLocked|internal/sync.mutexLocked")                                                \
	C(c_mutex_woken, "sync.mutexWoken|internal/sync.mutexWoken")                                                   \
	C(c_mutex_starving, "sync.mutexStarving|internal/sync.mutexStarving")                                          \
	C(c_mutex_waitershift, "sync.mutexWaiterShift|internal/sync.mutexWaiterShift")                                 \
	F(rw_w, "sync.RWMutex", "w")                                                                                   \
	F(rw_writersem, "sync.RWMutex", "writerSem")                                                                   \
	F(rw_readersem, "sync.RWMutex", "readerSem")                                                                   \
	F(rw_readercount, "sync.RWMutex", "readerCount")                                                               \
	F(rw_readerwait, "sync.RWMutex", "readerWait")                                                                 \
	S(rw_size, "sync.RWMutex")                                                                                     \
	C(c_rwmutex_maxreaders, "sync.rwmutexMaxReaders")                                                              \
	/* sync.WaitGroup: go1.17 keeps state and sema in state1 [3]uint32                                             \
	 * (which word is the semaphore depends on the group's alignment); from                                        \
	 * go1.18 state (counter << 32 | waiters) is a uint64 and sema follows */                                      \
	F(wg_state, "sync.WaitGroup", "state|state1")                                                                  \
	F(wg_sema, "sync.WaitGroup", "sema|state2")                                                                    \
	S(wg_size, "sync.WaitGroup")                                                                                   \
	F(cond_l, "sync.Cond", "L")                                                                                    \
	F(cond_notify, "sync.Cond", "notify")                                                                          \
	S(cond_size, "sync.Cond")                                                                                      \
	F(nl_wait, "runtime.notifyList", "wait")                                                                       \
	F(nl_notify, "runtime.notifyList", "notify")                                                                   \
	F(nl_lock, "runtime.notifyList", "lock")                                                                       \
	F(nl_head, "runtime.notifyList", "head")                                                                       \
	F(nl_tail, "runtime.notifyList", "tail")                                                                       \
	/* timers: until go1.22 a timer sits in its P's heap ([]*timer); from                                          \
	 * go1.23 a timer has its own lock and the heap is a timers struct */                                          \
	F(tm_pp, "runtime.timer", "pp")                                                                                \
	F(tm_mu, "runtime.timer", "mu")                                                                                \
	F(tm_astate, "runtime.timer", "astate")                                                                        \
	F(tm_state, "runtime.timer", "state")                                                                          \
	F(tm_ischan, "runtime.timer", "isChan")                                                                        \
	F(tm_blocked, "runtime.timer", "blocked")                                                                      \
	F(tm_when, "runtime.timer", "when")                                                                            \
	F(tm_period, "runtime.timer", "period")                                                                        \
	F(tm_f, "runtime.timer", "f")                                                                                  \
	F(tm_arg, "runtime.timer", "arg")                                                                              \
	F(tm_seq, "runtime.timer", "seq")                                                                              \
	F(tm_nextwhen, "runtime.timer", "nextwhen")                                                                    \
	F(tm_status, "runtime.timer", "status")                                                                        \
	F(tm_ts, "runtime.timer", "ts")                                                                                \
	S(tm_size, "runtime.timer")                                                                                    \
	F(tms_mu, "runtime.timers", "mu")                                                                              \
	F(tms_heap, "runtime.timers", "heap")                                                                          \
	F(tms_len, "runtime.timers", "len")                                                                            \
	S(tms_size, "runtime.timers")                                                                                  \
	F(tw_timer, "runtime.timerWhen", "timer")                                                                      \
	F(tw_when, "runtime.timerWhen", "when")                                                                        \
	S(tw_size, "runtime.timerWhen")                                                                                \
	/* the netpoller */                                                                                            \
	F(pd_link, "runtime.pollDesc", "link")                                                                         \
	F(pd_fd, "runtime.pollDesc", "fd")                                                                             \
	F(pd_fdseq, "runtime.pollDesc", "fdseq")                                                                       \
	F(pd_atomicinfo, "runtime.pollDesc", "atomicInfo")                                                             \
	F(pd_rg, "runtime.pollDesc", "rg")                                                                             \
	F(pd_wg, "runtime.pollDesc", "wg")                                                                             \
	F(pd_lock, "runtime.pollDesc", "lock")                                                                         \
	F(pd_closing, "runtime.pollDesc", "closing")                                                                   \
	F(pd_user, "runtime.pollDesc", "user")                                                                         \
	F(pd_rseq, "runtime.pollDesc", "rseq")                                                                         \
	F(pd_rt, "runtime.pollDesc", "rt")                                                                             \
	F(pd_rd, "runtime.pollDesc", "rd")                                                                             \
	F(pd_wseq, "runtime.pollDesc", "wseq")                                                                         \
	F(pd_wt, "runtime.pollDesc", "wt")                                                                             \
	F(pd_wd, "runtime.pollDesc", "wd")                                                                             \
	F(pd_self, "runtime.pollDesc", "self")                                                                         \
	S(pd_size, "runtime.pollDesc")                                                                                 \
	F(pc_lock, "runtime.pollCache", "lock")                                                                        \
	F(pc_first, "runtime.pollCache", "first")                                                                      \
	/* issue 13: the heap.  An arena's index is (addr - arenaBaseOffset) /                                         \
	 * heapArenaBytes, with arenaBaseOffset 0xffff800000000000 on amd64 */                                         \
	F(mh_lock, "runtime.mheap", "lock")                                                                            \
	F(mh_allspans, "runtime.mheap", "allspans")                                                                    \
	F(mh_arenas, "runtime.mheap", "arenas")                                                                        \
	F(mh_heaparenas, "runtime.mheap", "allArenas|heapArenas")                                                      \
	F(mh_curarena, "runtime.mheap", "curArena")                                                                    \
	S(mh_size, "runtime.mheap")                                                                                    \
	F(ha_spans, "runtime.heapArena", "spans")                                                                      \
	F(ha_pageinuse, "runtime.heapArena", "pageInUse")                                                              \
	F(ha_pagemarks, "runtime.heapArena", "pageMarks")                                                              \
	F(ha_pagespecials, "runtime.heapArena", "pageSpecials")                                                        \
	S(ha_size, "runtime.heapArena")                                                                                \
	C(c_arena_base_offset, "runtime.arenaBaseOffset")                                                              \
	C(c_heap_arena_bytes, "runtime.heapArenaBytes")                                                                \
	C(c_arena_l1_bits, "runtime.arenaL1Bits")                                                                      \
	C(c_arena_l2_bits, "runtime.arenaL2Bits")                                                                      \
	C(c_pages_per_arena, "runtime.pagesPerArena")                                                                  \
	C(c_page_shift, "runtime._PageShift|runtime.pageShift|internal/runtime/gc.PageShift")                          \
	F(span_next, "runtime.mspan", "next")                                                                          \
	F(span_startaddr, "runtime.mspan", "startAddr")                                                                \
	F(span_npages, "runtime.mspan", "npages")                                                                      \
	F(span_freeindex, "runtime.mspan", "freeindex")                                                                \
	F(span_nelems, "runtime.mspan", "nelems")                                                                      \
	F(span_alloccache, "runtime.mspan", "allocCache")                                                              \
	F(span_allocbits, "runtime.mspan", "allocBits")                                                                \
	F(span_gcmarkbits, "runtime.mspan", "gcmarkBits")                                                              \
	F(span_sweepgen, "runtime.mspan", "sweepgen")                                                                  \
	F(span_alloccount, "runtime.mspan", "allocCount")                                                              \
	F(span_spanclass, "runtime.mspan", "spanclass")                                                                \
	F(span_state, "runtime.mspan", "state")                                                                        \
	F(span_elemsize, "runtime.mspan", "elemsize")                                                                  \
	F(span_limit, "runtime.mspan", "limit")                                                                        \
	F(span_speciallock, "runtime.mspan", "speciallock")                                                            \
	F(span_specials, "runtime.mspan", "specials")                                                                  \
	F(span_largetype, "runtime.mspan", "largeType")                                                                \
	S(span_size, "runtime.mspan")                                                                                  \
	C(c_mspan_dead, "runtime.mSpanDead")                                                                           \
	C(c_mspan_inuse, "runtime.mSpanInUse")                                                                         \
	C(c_mspan_manual, "runtime.mSpanManual")                                                                       \
	F(sp_next, "runtime.special", "next")                                                                          \
	F(sp_offset, "runtime.special", "offset")                                                                      \
	F(sp_kind, "runtime.special", "kind")                                                                          \
	S(sp_size, "runtime.special")                                                                                  \
	F(spf_fn, "runtime.specialfinalizer", "fn")                                                                    \
	F(spf_nret, "runtime.specialfinalizer", "nret")                                                                \
	F(spf_fint, "runtime.specialfinalizer", "fint")                                                                \
	F(spf_ot, "runtime.specialfinalizer", "ot")                                                                    \
	S(spf_size, "runtime.specialfinalizer")                                                                        \
	F(spc_fn, "runtime.specialCleanup", "fn|cleanup")                                                              \
	F(spc_id, "runtime.specialCleanup", "id")                                                                      \
	S(spc_size, "runtime.specialCleanup")                                                                          \
	C(c_kind_finalizer, "runtime._KindSpecialFinalizer")                                                           \
	C(c_kind_weakhandle, "runtime._KindSpecialWeakHandle")                                                         \
	C(c_kind_profile, "runtime._KindSpecialProfile")                                                               \
	C(c_kind_reachable, "runtime._KindSpecialReachable")                                                           \
	C(c_kind_pincounter, "runtime._KindSpecialPinCounter")                                                         \
	C(c_kind_cleanup, "runtime._KindSpecialCleanup")                                                               \
	/* runtime.p: a scheduler slot (allp) */                                                                       \
	F(p_id, "runtime.p", "id")                                                                                     \
	F(p_status, "runtime.p", "status")                                                                             \
	F(p_m, "runtime.p", "m")                                                                                       \
	F(p_runqhead, "runtime.p", "runqhead")                                                                         \
	F(p_runqtail, "runtime.p", "runqtail")                                                                         \
	F(p_runq, "runtime.p", "runq")                                                                                 \
	F(p_runnext, "runtime.p", "runnext")                                                                           \
	F(p_timerslock, "runtime.p", "timersLock")                                                                     \
	F(p_timers, "runtime.p", "timers")                                                                             \
	F(p_numtimers, "runtime.p", "numTimers")                                                                       \
	F(p_cleanups, "runtime.p", "cleanups")                                                                         \
	S(p_size, "runtime.p")                                                                                         \
	C(c_Pidle, "runtime._Pidle")                                                                                   \
	C(c_Prunning, "runtime._Prunning")                                                                             \
	C(c_Psyscall, "runtime._Psyscall")                                                                             \
	C(c_Pgcstop, "runtime._Pgcstop")                                                                               \
	C(c_Pdead, "runtime._Pdead")                                                                                   \
	/* finalizers queued to run (finq) */                                                                          \
	F(fb_alllink, "runtime.finblock|runtime.finBlock", "alllink")                                                  \
	F(fb_next, "runtime.finblock|runtime.finBlock", "next")                                                        \
	F(fb_cnt, "runtime.finblock|runtime.finBlock", "cnt")                                                          \
	F(fb_fin, "runtime.finblock|runtime.finBlock", "fin")                                                          \
	S(fb_size, "runtime.finblock|runtime.finBlock")                                                                \
	F(fin_fn, "runtime.finalizer", "fn")                                                                           \
	F(fin_arg, "runtime.finalizer", "arg")                                                                         \
	F(fin_nret, "runtime.finalizer", "nret")                                                                       \
	F(fin_fint, "runtime.finalizer", "fint")                                                                       \
	F(fin_ot, "runtime.finalizer", "ot")                                                                           \
	S(fin_size, "runtime.finalizer")

/* The runtime's globals pileup locates (their addresses are per binary,
 * never in a table): X(id, "symbol"). */
#define GOLAYOUT_GLOBALS(X)                                                                                            \
	X(allgs, "runtime.allgs")                                                                                      \
	X(allglen, "runtime.allglen")                                                                                  \
	X(allm, "runtime.allm")                                                                                        \
	X(allp, "runtime.allp")                                                                                        \
	X(firstmoduledata, "runtime.firstmoduledata")                                                                  \
	X(memstats, "runtime.memstats")                                                                                \
	X(mheap, "runtime.mheap_")                                                                                     \
	X(finq, "runtime.finq")                                                                                        \
	X(fing, "runtime.fing")                                                                                        \
	X(allfin, "runtime.allfin")                                                                                    \
	X(pollcache, "runtime.pollcache")                                                                              \
	X(gccleanups, "runtime.gcCleanups")                                                                            \
	X(waitreasonstrings, "runtime.waitReasonStrings")                                                              \
	X(semtable, "runtime.semtable")

#endif
