#ifndef PILEUP_MEMORY_H
#define PILEUP_MEMORY_H

/* How pileup's heap is laid out (memory.c).  memory_tune() is called once,
 * at the start of main; PILEUP_NO_TUNE=1 leaves malloc as it is. */
void memory_tune(void);

/* A hint that the run is about to allocate megabytes (a module's debug
 * information is read because no symbol cache holds its pcs): the rest
 * of the heap may be backed by 2 MB pages from here on. */
void memory_expect_growth(void);

#endif
