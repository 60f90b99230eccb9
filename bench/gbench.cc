// gbench: the C API of gbench.h on Google Benchmark (C++).
#include "gbench.h"

#include <atomic>
#include <chrono>
#include <cstdint>

#include <benchmark/benchmark.h>

// The C types stay incomplete: a struct gb_state * is a benchmark::State *,
// a struct gb_bench * a benchmark::internal::Benchmark *.
static benchmark::State &S(struct gb_state *st)
{
	return *reinterpret_cast<benchmark::State *>(st);
}
static const benchmark::State &S(const struct gb_state *st)
{
	return *reinterpret_cast<const benchmark::State *>(st);
}
static benchmark::internal::Benchmark *B(struct gb_bench *b)
{
	return reinterpret_cast<benchmark::internal::Benchmark *>(b);
}
static struct gb_bench *C(benchmark::internal::Benchmark *b)
{
	return reinterpret_cast<struct gb_bench *>(b);
}

extern "C" {

struct gb_bench *gb_register(const char *name, gb_fn fn)
{
	return C(benchmark::RegisterBenchmark(name, [fn](benchmark::State &s) {
		fn(reinterpret_cast<struct gb_state *>(&s));
	}));
}

void gb_arg(struct gb_bench *b, int64_t arg) { B(b)->Arg(arg); }

void gb_args(struct gb_bench *b, const int64_t *args, int nargs)
{
	B(b)->Args(std::vector<int64_t>(args, args + nargs));
}

void gb_range(struct gb_bench *b, int64_t lo, int64_t hi, int multiplier)
{
	B(b)->RangeMultiplier(multiplier)->Range(lo, hi);
}

void gb_threads(struct gb_bench *b, int threads) { B(b)->Threads(threads); }
void gb_thread_range(struct gb_bench *b, int lo, int hi) { B(b)->ThreadRange(lo, hi); }
void gb_use_real_time(struct gb_bench *b) { B(b)->UseRealTime(); }
void gb_use_span_time(struct gb_bench *b) { B(b)->UseManualTime(); }
void gb_min_time(struct gb_bench *b, double seconds) { B(b)->MinTime(seconds); }
void gb_iterations(struct gb_bench *b, int64_t iterations) { B(b)->Iterations(iterations); }
void gb_repetitions(struct gb_bench *b, int repetitions) { B(b)->Repetitions(repetitions); }

}

// Span timing. Google Benchmark times each thread from the moment it leaves
// the start barrier and averages the threads' times; with more threads than
// cores a thread may not run until others are done, so that average is far
// below the elapsed time. Instead every thread of a run reports, as its
// manual time, the span from the first thread's start to the last thread's
// end (one run at a time per process, so one global span).
static std::atomic<int64_t> span_start{INT64_MAX};
static std::atomic<int64_t> span_end{0};
static thread_local const benchmark::State *span_running;

static int64_t now_ns()
{
	return std::chrono::duration_cast<std::chrono::nanoseconds>(
		std::chrono::steady_clock::now().time_since_epoch()).count();
}

template <typename T> static void atomic_min(std::atomic<T> &a, T v)
{
	T cur = a.load(std::memory_order_relaxed);
	while (v < cur && !a.compare_exchange_weak(cur, v, std::memory_order_relaxed))
		;
}

template <typename T> static void atomic_max(std::atomic<T> &a, T v)
{
	T cur = a.load(std::memory_order_relaxed);
	while (v > cur && !a.compare_exchange_weak(cur, v, std::memory_order_relaxed))
		;
}

// `more` is what KeepRunning/KeepRunningBatch answered; `before` the time
// just before that call.
static bool span_step(benchmark::State &s, bool more, int64_t before)
{
	if (span_running != &s) {
		// First call of this thread in this run: it returned after the
		// start barrier, which thread 0 passed only after its reset.
		span_running = &s;
		if (more)
			atomic_min(span_start, now_ns());
	}
	if (!more) {
		// `before` is this thread's end; the call itself ended with the
		// stop barrier, so every thread's end is recorded by now.
		atomic_max(span_end, before);
		std::atomic_thread_fence(std::memory_order_seq_cst);
		s.SetIterationTime(static_cast<double>(span_end.load() - span_start.load()) * 1e-9);
		span_running = nullptr;
	}
	return more;
}

static void span_reset(benchmark::State &s)
{
	// Thread 0 resets before its first call, i.e. before the start
	// barrier: no thread of this run has recorded anything yet.
	if (span_running != &s && s.thread_index() == 0) {
		span_start.store(INT64_MAX);
		span_end.store(0);
	}
}

extern "C" {

bool gb_keep_running(struct gb_state *st)
{
	benchmark::State &s = S(st);
	int64_t t;

	span_reset(s);
	t = now_ns();
	return span_step(s, s.KeepRunning(), t);
}

bool gb_keep_running_batch(struct gb_state *st, int64_t *n)
{
	benchmark::State &s = S(st);
	int64_t t;

	span_reset(s);
	t = now_ns();
	return span_step(s, s.KeepRunningBatch(*n), t);
}

int64_t gb_range_arg(const struct gb_state *st, int index)
{
	return S(st).range(static_cast<std::size_t>(index));
}

int gb_thread_index(const struct gb_state *st) { return S(st).thread_index(); }
int gb_thread_count(const struct gb_state *st) { return S(st).threads(); }
int64_t gb_iteration_count(const struct gb_state *st) { return S(st).iterations(); }
void gb_pause_timing(struct gb_state *st) { S(st).PauseTiming(); }
void gb_resume_timing(struct gb_state *st) { S(st).ResumeTiming(); }

void gb_counter(struct gb_state *st, const char *name, double value, unsigned int flags)
{
	S(st).counters[name] = benchmark::Counter(value,
		static_cast<benchmark::Counter::Flags>(flags));
}

void gb_items_processed(struct gb_state *st, int64_t items) { S(st).SetItemsProcessed(items); }
void gb_label(struct gb_state *st, const char *label) { S(st).SetLabel(label); }
void gb_skip_with_error(struct gb_state *st, const char *msg) { S(st).SkipWithError(msg); }

void gb_add_context(const char *key, const char *value)
{
	benchmark::AddCustomContext(key, value);
}

int gb_main(int argc, char **argv)
{
	benchmark::Initialize(&argc, argv);
	if (benchmark::ReportUnrecognizedArguments(argc, argv))
		return 1;
	benchmark::RunSpecifiedBenchmarks();
	benchmark::Shutdown();
	return 0;
}

}
