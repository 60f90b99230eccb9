/* fork() in a process whose malloc is kmm (docs/malloc.md, "fork").
 *
 * Two things would break a child. Threads that were inside kmm when the
 * process forked vanish in the child with kmm's locks held and its
 * structures half changed; and kmm's physical memory is a memfd mapped
 * shared (vmalloc maps its pages a second time), so a child writing its
 * heap would write the parent's.
 *
 * prepare: stop kmm's own threads (the free page reporter, kswapd when
 *   booted with it), raise the gate (shim.h), wait until no thread is
 *   inside an entry and hold every CPU (the fast paths, which enter
 *   nothing, are owner sections: the hold waits for those running and
 *   fails the rest to the gate). New calls wait at the gate; the forking
 *   thread's own calls from other fork handlers are served from host
 *   memory, which is private. Then copy the memfd's data extents into a
 *   new memfd, the parent standing still.
 * child:  map every mapping of the old memfd onto the same range of the
 *   copy, give the copy the old descriptor's number, and reset the thread
 *   registry: the forking thread is the only thread.
 * parent: drop the copy.
 * Both release the CPUs (owners take theirs back at their next slow
 * path), lower the gate and start kmm's threads again.
 * The copy costs a copy of the memory kmm has populated, once per fork();
 * vfork() and posix_spawn() run no fork handlers and copy nothing.
 *
 * When the copy fails (the host is out of memory), the child must not
 * touch kmm at all: it is detached, serves every allocation from host
 * memory and leaves kmm's objects alone (one report says so).
 *
 * Locks: thread.c's fork_lock, then its registry_lock, both held from
 * prepare to parent/child. Threads stopped at the gate wait on fork_lock.
 * The handlers are registered when the library is loaded; they do nothing
 * until kmm is booted. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/membarrier.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include "buddy/mmzone.h"
#include "buddy/page_reporting.h"
#include "buddy/reclaim.h"
#include "lib/bug.h"
#include "lib/host_mem.h"
#include "shim.h"

static int fork_copy = -1;	/* the memfd copy, from prepare to parent/child */
static bool fork_kswapd;	/* kswapd ran before prepare */

/* Copies [from, to) of one file into the other at the same offsets. */
static bool copy_range(int src, int dst, off_t from, off_t to)
{
	static char buf[64 << 10];	/* the fallback: only the forking thread runs here */

	while (from < to) {
		loff_t in = from, out = from;
		ssize_t n = copy_file_range(src, &in, dst, &out, (size_t)(to - from), 0);

		if (n <= 0) {
			n = pread(src, buf, (size_t)MIN((off_t)sizeof(buf), to - from), from);
			if (n <= 0 || pwrite(dst, buf, (size_t)n, from) != n)
				return false;
		}
		from += n;
	}
	return true;
}

/* A new memfd holding the data of the old one; -1 on failure. Only the
 * extents that hold data are copied: the rest was never populated. */
static int physmem_copy(int old)
{
	struct stat st;
	off_t data, hole = 0;
	int fd;

	if (fstat(old, &st))
		return -1;
	fd = memfd_create("kmm-physmem", MFD_CLOEXEC);
	if (fd < 0)
		return -1;
	if (ftruncate(fd, st.st_size))
		goto fail;
	while ((data = lseek(old, hole, SEEK_DATA)) >= 0) {
		hole = lseek(old, data, SEEK_HOLE);
		if (hole < 0 || !copy_range(old, fd, data, hole))
			goto fail;
	}
	if (errno != ENXIO)
		goto fail;
	return fd;
fail:
	close(fd);
	return -1;
}

/* The text of /proc/self/maps, in host memory; NULL on failure. */
static char *read_maps(void)
{
	size_t cap = 64 << 10, len = 0;
	char *buf = host_alloc(cap);
	int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (!buf || fd < 0)
		goto fail;
	for (;;) {
		if (len + 1 == cap) {
			char *bigger = host_realloc(buf, cap * 2);

			if (!bigger)
				goto fail;
			buf = bigger;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - 1 - len);
		if (n < 0)
			goto fail;
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	return buf;
fail:
	if (fd >= 0)
		close(fd);
	host_free(buf);
	return NULL;
}

/* Maps every mapping of `old` (by device and inode) onto the same offsets
 * of `copy`. */
static bool remap_onto(int old, int copy)
{
	struct stat st;
	char *maps, *line, *save;
	bool ok = true;

	if (fstat(old, &st) || !(maps = read_maps()))
		return false;
	for (line = strtok_r(maps, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		unsigned long start, end, off, inode;
		unsigned int major, minor;
		char perms[5];
		int prot = 0;

		if (sscanf(line, "%lx-%lx %4s %lx %x:%x %lu", &start, &end, perms, &off, &major,
			   &minor, &inode) != 7)
			continue;
		if (inode != st.st_ino || makedev(major, minor) != st.st_dev)
			continue;
		prot |= perms[0] == 'r' ? PROT_READ : 0;
		prot |= perms[1] == 'w' ? PROT_WRITE : 0;
		prot |= perms[2] == 'x' ? PROT_EXEC : 0;
		if (mmap((void *)start, end - start, prot, MAP_SHARED | MAP_FIXED, copy,
			 (off_t)off) == MAP_FAILED)
			ok = false;
	}
	host_free(maps);
	return ok;
}

static void fork_prepare(void)
{
	struct shim_thread *t = &shim_self;

	if (!shim_booted() || (atomic_load_relaxed(&shim_gate) & SHIM_GATE_DETACHED))
		return;
	shim_fork_lock();
	/* Each may hold a shard lock for a moment, and the reporter has
	 * blocks off the free lists while it releases them. */
	page_reporting_stop();
	fork_kswapd = kmm_config.kswapd;
	if (fork_kswapd)
		kswapd_stop();
	t->forking = true;
	__atomic_fetch_or(&shim_gate, SHIM_GATE_FORK, __ATOMIC_SEQ_CST);
	/* Every thread that read the gate as open has its depth visible now
	 * (shim_enter); one that fences itself needs nothing. */
	syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0);
	shim_registry_lock();
	shim_wait_quiescent(t);
	/* The fast paths enter nothing: taking every CPU from its owner waits
	 * for those running and sends the rest to the gate. */
	for (unsigned int cpu = 0; cpu < nr_cpu_ids; cpu++)
		cpu_own_hold(cpu);
	fork_copy = physmem_copy(kmm_mem.memfd);
}

/* Starting threads allocates: with the gate down. What the forking thread
 * freed meanwhile is freed when it next leaves the allocator. */
static void fork_done(struct shim_thread *t)
{
	bool detached = atomic_load_relaxed(&shim_gate) & SHIM_GATE_DETACHED;

	for (unsigned int cpu = 0; cpu < nr_cpu_ids; cpu++)
		cpu_own_unhold(cpu);
	__atomic_fetch_and(&shim_gate, ~SHIM_GATE_FORK, __ATOMIC_SEQ_CST);
	t->forking = false;
	shim_registry_unlock();
	if (!detached) {
		page_reporting_start();
		if (fork_kswapd && kswapd_start())
			kmm_warn("kmm-malloc: kswapd did not start again after fork");
	}
	shim_fork_unlock();
}

static void fork_parent(void)
{
	struct shim_thread *t = &shim_self;

	if (!t->forking)
		return;
	if (fork_copy >= 0)
		close(fork_copy);
	fork_copy = -1;
	fork_done(t);
}

static void fork_child(void)
{
	struct shim_thread *t = &shim_self;

	if (!t->forking)
		return;
	if (fork_copy < 0 || !remap_onto(kmm_mem.memfd, fork_copy) ||
	    dup3(fork_copy, kmm_mem.memfd, O_CLOEXEC) < 0) {
		__atomic_fetch_or(&shim_gate, SHIM_GATE_DETACHED, __ATOMIC_SEQ_CST);
		kmm_warn("kmm-malloc: fork could not copy kmm's physical memory; the child "
			 "allocates from host memory and never frees kmm's objects");
	}
	if (fork_copy >= 0)
		close(fork_copy);
	fork_copy = -1;
	/* The registration is the parent's (per address space). */
	syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0);
	shim_threads_after_fork_child(t);
	fork_done(t);
}

__attribute__((constructor)) static void fork_init(void)
{
	pthread_atfork(fork_prepare, fork_parent, fork_child);
}
