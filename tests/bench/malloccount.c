/* SPDX-License-Identifier: ISC */
/*
 * malloccount.so: counts a process's allocations, for the "no allocation
 * per message" check (tests/integration/allocs.sh, make bench).
 *
 *	MALLOCCOUNT_FILE=/path LD_PRELOAD=.../malloccount.so p2pd ...
 *
 * malloc, calloc, realloc, the aligned allocators and free are counted in
 * a page shared with the file (four u64: allocations, frees, bytes asked,
 * reallocations), so a script reads the counts whenever it likes
 * (od -An -tu8 -N32 FILE) without stopping the process. The calls go on
 * to glibc's own __libc_* functions. Not for sanitizer builds (ASan
 * replaces the allocator itself).
 */
#include <sys/mman.h>

#include <fcntl.h>
#include <malloc.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

void	*__libc_malloc(size_t);
void	*__libc_calloc(size_t, size_t);
void	*__libc_realloc(void *, size_t);
void	*__libc_memalign(size_t, size_t);
void	 __libc_free(void *);

static uint64_t	 mc_dummy[4];
static uint64_t	*mc = mc_dummy;	/* allocs, frees, bytes, reallocs */

__attribute__((constructor)) static void
mc_init(void)
{
	const char *path = getenv("MALLOCCOUNT_FILE");
	void *p;
	int fd;

	if (path == NULL || (fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC,
	    0600)) == -1)
		return;
	if (ftruncate(fd, 4096) == 0 && (p = mmap(NULL, 4096, PROT_READ |
	    PROT_WRITE, MAP_SHARED, fd, 0)) != MAP_FAILED)
		mc = p;
	close(fd);
}

void *
malloc(size_t n)
{
	mc[0]++;
	mc[2] += n;
	return __libc_malloc(n);
}

void *
calloc(size_t n, size_t m)
{
	mc[0]++;
	mc[2] += n * m;
	return __libc_calloc(n, m);
}

void *
realloc(void *p, size_t n)
{
	if (p == NULL)
		mc[0]++;
	else
		mc[3]++;
	mc[2] += n;
	return __libc_realloc(p, n);
}

void *
memalign(size_t al, size_t n)
{
	mc[0]++;
	mc[2] += n;
	return __libc_memalign(al, n);
}

void *
aligned_alloc(size_t al, size_t n)
{
	return memalign(al, n);
}

int
posix_memalign(void **out, size_t al, size_t n)
{
	void *p = memalign(al, n);

	if (p == NULL)
		return 12;	/* ENOMEM */
	*out = p;
	return 0;
}

void
free(void *p)
{
	if (p != NULL)
		mc[1]++;
	__libc_free(p);
}
