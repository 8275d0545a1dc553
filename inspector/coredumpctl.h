/* coredumpctl.h - cores that systemd-coredump stored, through coredumpctl.
 *
 * `coredumpctl dump` writes the (decompressed) core of a process, or of
 * the newest crash, into an anonymous temporary file that disappears with
 * its descriptor.  When coredumpctl is missing, or has no such core, the
 * error says so and where cores go on this machine instead. */
#ifndef PILEUP_COREDUMPCTL_H
#define PILEUP_COREDUMPCTL_H

#include "error.h"

/* which is a PID or "latest".  Returns the core's descriptor (at offset 0)
 * in *ret and a name for it ("coredumpctl core of PID 1234") in *name. */
struct pu_error *coredumpctl_fetch(const char *which, int *ret, char **name);

#endif
