/*
 * The one single-precision matrix product every native kernel of dync calls (row-major; C = op(A)·op(B) + beta·C
 * with alpha 1), included by dync_blas.c, dync_conv.c and dync_fused.c.
 *
 * Two libraries can serve it, chosen once per process:
 * - oneDNN's dnnl_sgemm, where the addon was built against it (tools/build-native.mjs defines DYNC_WITH_ONEDNN
 *   when Debian's libdnnl-dev is present) and DYNC_GEMM is not "openblas". It compiles its kernels at run time
 *   for the widest vector instructions the CPU has (AVX-512 on this project's machine).
 * - OpenBLAS's cblas_sgemm otherwise. A DYNAMIC_ARCH OpenBLAS runs the kernels of the core it recognises, or of
 *   the one OPENBLAS_CORETYPE forces: some machines force its AVX2 kernels because older OpenBLAS builds compute
 *   wrong results with their AVX-512 ones on newer CPUs (this project's machine does).
 * Why oneDNN first: on one thread of the project's Zen 5 machine its sgemm runs at 2.1-2.8x OpenBLAS's speed on
 * every shape the benchmarks multiply (docs/performance.md, "oneDNN products"); it is also the library PyTorch's
 * CPU convolutions run on. The two round differently, so the manifest records which one served and --resume
 * refuses to switch (dync_gemm_name / dync_gemm_core).
 *
 * Threads: OpenBLAS's count is one for the process (openblas_set_num_threads). oneDNN runs on OpenMP, whose
 * count belongs to the calling thread, and Node's worker threads (--jobs) each start at OpenMP's default (every
 * core), so each product sets it first where it differs. The count is DYNC_BLAS_THREADS (default 1; the JS side
 * refuses a bad value before any product runs) or what dync_gemm_set_threads set.
 */
#ifndef DYNC_GEMM_H
#define DYNC_GEMM_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { CblasRowMajor = 101, CblasNoTrans = 111, CblasTrans = 112 };
/* The few OpenBLAS/CBLAS prototypes are declared here rather than including cblas.h, whose location differs
   between distributions and BLAS flavours; the enum values are fixed by the CBLAS standard. */
extern void cblas_sgemm(int order, int transA, int transB, int m, int n, int k, float alpha, const float *a, int lda,
                        const float *b, int ldb, float beta, float *c, int ldc);
extern void openblas_set_num_threads(int threads);
extern int openblas_get_num_threads(void);
extern char *openblas_get_config(void);
extern char *openblas_get_corename(void);

#include <pthread.h>
#include <signal.h>
#ifdef DYNC_WITH_ONEDNN
#include <omp.h>
#include <oneapi/dnnl/dnnl.h>
#endif

/* 1: oneDNN serves the products; 0: OpenBLAS; -1: not decided yet. */
static int dync_gemm_onednn = -1;
static int dync_gemm_thread_count = 0;

static inline int dync_gemm_use_onednn(void) {
  if (dync_gemm_onednn < 0) {
#ifdef DYNC_WITH_ONEDNN
    const char *choice = getenv("DYNC_GEMM");
    dync_gemm_onednn = !(choice != NULL && strcmp(choice, "openblas") == 0);
#else
    dync_gemm_onednn = 0;
#endif
  }
  return dync_gemm_onednn;
}

static inline int dync_gemm_threads(void) {
  if (dync_gemm_thread_count == 0) {
    const char *text = getenv("DYNC_BLAS_THREADS");
    const int threads = text != NULL ? atoi(text) : 1;
    dync_gemm_thread_count = threads >= 1 && threads <= 1024 ? threads : 1;
  }
  return dync_gemm_thread_count;
}

/* The thread count of later products (both libraries). */
static inline void dync_gemm_set_threads(int threads) {
  dync_gemm_thread_count = threads;
  openblas_set_num_threads(threads);
}

/*
 * No signal reaches this thread while oneDNN's kernels run: oneDNN before 3.11.1 (Debian's is 2.6.3) points rsp into
 * the heap inside its JIT sgemm kernels, so a signal handler's frame, pushed there, corrupts the heap
 * (https://github.com/uxlfoundation/oneDNN/issues/4845, fixed by pull request 4855). Node handles SIGINT/SIGTERM
 * (dync stops cleanly on them), profilers sample with signals, and a second SIGTERM during a product crashed dync
 * with "malloc(): unaligned tcache chunk detected" in 2–3 of 8 tries. A blocked process-directed signal goes
 * to another thread or waits until the mask is restored; two syscalls per product (~0.5 µs).
 */
static inline void dync_signals_block(sigset_t *before) {
  sigset_t all;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, before);
}

static inline void dync_signals_restore(const sigset_t *before) { pthread_sigmask(SIG_SETMASK, before, NULL); }

/* The product with the caller's signal mask as it is (the caller blocks signals around oneDNN: dync_signals_block). */
static inline void dync_sgemm_unmasked(int transpose_a, int transpose_b, int m, int n, int k, const float *a, int lda,
                                       const float *b, int ldb, float beta, float *c, int ldc) {
#ifdef DYNC_WITH_ONEDNN
  if (dync_gemm_use_onednn()) {
    if (omp_get_max_threads() != dync_gemm_threads()) omp_set_num_threads(dync_gemm_threads());
    /* oneDNN reports a failure (bad arguments, no memory for its packing) as a status and leaves C as it was:
       OpenBLAS, always linked, then computes the product, so no caller ever reads an unwritten C. */
    if (dnnl_sgemm(transpose_a ? 'T' : 'N', transpose_b ? 'T' : 'N', m, n, k, 1.0f, a, lda, b, ldb, beta, c, ldc) ==
        dnnl_success)
      return;
  }
#endif
  cblas_sgemm(CblasRowMajor, transpose_a ? CblasTrans : CblasNoTrans, transpose_b ? CblasTrans : CblasNoTrans, m, n,
              k, 1.0f, a, lda, b, ldb, beta, c, ldc);
}

static inline void dync_sgemm(int transpose_a, int transpose_b, int m, int n, int k, const float *a, int lda,
                              const float *b, int ldb, float beta, float *c, int ldc) {
  sigset_t before;
  dync_signals_block(&before);
  dync_sgemm_unmasked(transpose_a, transpose_b, m, n, k, a, lda, b, ldb, beta, c, ldc);
  dync_signals_restore(&before);
}

/* Which library serves the products: "onednn" or "openblas". */
static inline const char *dync_gemm_name(void) { return dync_gemm_use_onednn() ? "onednn" : "openblas"; }

#ifdef DYNC_WITH_ONEDNN
static inline const char *dync_onednn_isa(void) {
  switch (dnnl_get_effective_cpu_isa()) {
  case dnnl_cpu_isa_sse41: return "sse41";
  case dnnl_cpu_isa_avx: return "avx";
  case dnnl_cpu_isa_avx2: return "avx2";
  case dnnl_cpu_isa_avx2_vnni: return "avx2_vnni";
  case dnnl_cpu_isa_avx512_core: return "avx512_core";
  case dnnl_cpu_isa_avx512_core_vnni: return "avx512_core_vnni";
  case dnnl_cpu_isa_avx512_core_bf16: return "avx512_core_bf16";
  case dnnl_cpu_isa_avx512_core_amx: return "avx512_core_amx";
  default: return "other";
  }
}
#endif

/* The serving library's description and the kernels it runs, "<library> / <core>": "oneDNN 2.6.3 sgemm /
   avx512_core_bf16" or "OpenBLAS 0.3.21 DYNAMIC_ARCH … / Haswell". */
static inline void dync_gemm_describe(char *text, size_t size) {
#ifdef DYNC_WITH_ONEDNN
  if (dync_gemm_use_onednn()) {
    const dnnl_version_t *v = dnnl_version();
    snprintf(text, size, "oneDNN %d.%d.%d sgemm / %s", v->major, v->minor, v->patch, dync_onednn_isa());
    return;
  }
#endif
  snprintf(text, size, "%s / %s", openblas_get_config(), openblas_get_corename());
}

#endif
