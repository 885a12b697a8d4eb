// The float convolutions on oneDNN (Debian's libdnnl), behind the kernels of conv.hpp.
//
// A call splits the batch into chunks of samples, as many as the geometry asks for (never the
// thread count), and runs each chunk as one task on xgrad's pool. oneDNN runs single-threaded
// inside a task (xgrad sets the OpenMP thread count of a thread to 1 while it calls oneDNN), so it
// never starts OpenMP threads of its own. A task reorders its chunk's inputs from NCHW into the
// blocked layouts of oneDNN's fast kernels (in per-thread buffers, small enough to stay in cache),
// runs the primitive, and reorders the output back. The weight gradient of each chunk goes to a
// partial of its own, and the partials are added in chunk order. So the results are the same bits
// for any thread count.
//
// Creating a primitive costs far more than running a small one: the primitives of each
// (operation, geometry, chunk size) are made once and kept.
#include <dnnl.hpp>

#include <algorithm>
#include <array>
#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <new>
#include <optional>
#include <string_view>
#include <type_traits>
#include <unordered_map>

#include "kernels/conv.hpp"
#include "kernels/omp_single_thread.hpp"
#include "kernels/parallel.hpp"

namespace xg::kernels::detail_conv {

namespace {

using dnnl::memory;
using Dims = memory::dims;
using Tag = memory::format_tag;

/// Bytes of activations (the chunk's input and output samples) per chunk: about half of a core's
/// L2 cache, so that a reordered input is still in cache when the primitive reads it.
constexpr std::size_t kChunkBytes = std::size_t{1} << 20;

/// Plans kept before the cache starts again from empty (a training run needs a few per layer).
constexpr std::size_t kMaxPlans = 512;

dnnl::engine& cpu_engine() {
  // Never destroyed: operations may run in static destructors.
  static auto* engine = new dnnl::engine(dnnl::engine::kind::cpu, 0);
  return *engine;
}

/// oneDNN sizes a primitive's work by the OpenMP thread count of the thread that creates it, and
/// runs its reorders on as many threads as the thread that runs them has: SingleThreaded around
/// every call.
using kernels::SingleThreaded;

dnnl::stream& thread_stream() {
  thread_local dnnl::stream stream(cpu_engine());
  return stream;
}

/// A buffer that grows to the largest size asked for and is then reused (no page faults).
class Scratch {
 public:
  void* get(std::size_t bytes) {
    if (bytes > size_) {
      data_.reset(static_cast<std::byte*>(::operator new(bytes, kAlign)));
      size_ = bytes;
    }
    return data_.get();
  }

 private:
  static constexpr std::align_val_t kAlign{64};
  struct Free {
    void operator()(std::byte* p) const { ::operator delete(p, kAlign); }
  };
  std::unique_ptr<std::byte, Free> data_;
  std::size_t size_ = 0;
};

/// A thread's buffers as a task (a chunk's reordered tensors, oneDNN's scratchpad) and as the
/// caller of an operation (its reordered weights, the weight gradient's partials): a thread is
/// never the caller of two operations at once, and its tasks use the other buffers.
struct ThreadScratch {
  Scratch in, in2, out, pad;
  Scratch weights, weights_last, partials;
};

ThreadScratch& thread_scratch() {
  thread_local ThreadScratch scratch;
  return scratch;
}

enum class Op { forward, backward_input, backward_weight };

/// A tensor as the caller holds it (plain: NCHW, OIHW or GOIHW) and as the primitive wants it,
/// with the reorders between the two when they differ.
struct Layout {
  memory::desc plain, used;
  dnnl::reorder to_used, to_plain;
  bool reorders() const { return plain != used; }
};

Layout layout_of(const memory::desc& plain, const memory::desc& used) {
  Layout l{plain, used, {}, {}};
  if (l.reorders()) {
    l.to_used =
        dnnl::reorder(dnnl::reorder::primitive_desc(cpu_engine(), plain, cpu_engine(), used));
    l.to_plain =
        dnnl::reorder(dnnl::reorder::primitive_desc(cpu_engine(), used, cpu_engine(), plain));
  }
  return l;
}

/// The primitive of one operation on chunks of a fixed number of samples, and its tensors:
///   forward          a = x (src),      b = w (weights),   out = y (dst)
///   backward_input   a = gy (diff dst), b = w (weights),   out = dx (diff src)
///   backward_weight  a = x (src),      b = gy (diff dst), out = dw (diff weights)
struct Plan {
  dnnl::primitive conv;
  memory::desc scratchpad;
  Layout a, b, out;
};

memory::desc act_desc(std::size_t mb, std::size_t channels, std::size_t h, std::size_t w, Tag tag) {
  return memory::desc(Dims{static_cast<memory::dim>(mb), static_cast<memory::dim>(channels),
                           static_cast<memory::dim>(h), static_cast<memory::dim>(w)},
                      memory::data_type::f32, tag);
}
memory::desc x_desc(const ConvGeometry& g, std::size_t mb, Tag tag) {
  return act_desc(mb, g.in_channels, g.in_h, g.in_w, tag);
}
memory::desc y_desc(const ConvGeometry& g, std::size_t mb, Tag tag) {
  return act_desc(mb, g.out_channels, g.out_h, g.out_w, tag);
}
/// The weight as (O, C/G, KH, KW), or (G, O/G, C/G, KH, KW) with groups: the same bytes.
memory::desc w_desc(const ConvGeometry& g, bool plain) {
  auto d = [](std::size_t v) { return static_cast<memory::dim>(v); };
  if (g.groups == 1) {
    return memory::desc(Dims{d(g.out_channels), d(g.in_channels), d(g.kernel_h), d(g.kernel_w)},
                        memory::data_type::f32, plain ? Tag::oihw : Tag::any);
  }
  return memory::desc(
      Dims{d(g.groups), d(g.group_out()), d(g.group_in()), d(g.kernel_h), d(g.kernel_w)},
      memory::data_type::f32, plain ? Tag::goihw : Tag::any);
}
memory::desc bias_desc(const ConvGeometry& g) {
  return memory::desc(Dims{static_cast<memory::dim>(g.out_channels)}, memory::data_type::f32,
                      Tag::x);
}

template <class PrimitiveDesc>
bool is_reference(const PrimitiveDesc& pd) {
  return std::string_view(pd.impl_info_str()).starts_with("ref");
}

/// The descriptors both backward convolutions are made of (no bias: db is a sum over gy).
struct BackwardArgs {
  memory::desc x, w, y;
  Dims strides, dilates, pad;
};

/// Sets plan's primitive and scratchpad to the backward convolution Bwd of fwd; nothing when
/// oneDNN has only its reference implementation.
template <class Bwd>
std::optional<typename Bwd::primitive_desc> backward_plan(
    Plan& plan, const BackwardArgs& a, const dnnl::primitive_attr& attr,
    const typename dnnl::convolution_forward::primitive_desc& fwd) {
  const typename Bwd::primitive_desc pd(
      typename Bwd::desc(dnnl::algorithm::convolution_direct, a.x, a.w, a.y, a.strides, a.dilates,
                         a.pad, a.pad),
      attr, cpu_engine(), fwd);
  if (is_reference(pd)) return std::nullopt;
  plan.conv = Bwd(pd);
  plan.scratchpad = pd.scratchpad_desc();
  return pd;
}

/// The plan, or null when oneDNN has no implementation but its slow reference one.
std::shared_ptr<const Plan> make_plan(Op op, const ConvGeometry& g, std::size_t mb, bool bias) {
  auto d = [](std::size_t v) { return static_cast<memory::dim>(v); };
  const Dims strides{d(g.stride_h), d(g.stride_w)};
  const Dims dilates{d(g.dilation_h - 1), d(g.dilation_w - 1)};  // oneDNN counts the gaps
  // The same padding on both sides: oneDNN's output size rounds down as PyTorch's does.
  const Dims pad{d(g.pad_h), d(g.pad_w)};
  const memory::desc x_any = x_desc(g, mb, Tag::any), y_any = y_desc(g, mb, Tag::any);
  const memory::desc w_any = w_desc(g, false);
  const memory::desc x_plain = x_desc(g, mb, Tag::nchw), y_plain = y_desc(g, mb, Tag::nchw);
  const memory::desc w_plain = w_desc(g, true);
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  const auto direct = dnnl::algorithm::convolution_direct;
  const auto training = dnnl::prop_kind::forward_training;
  auto plan = std::make_shared<Plan>();
  const BackwardArgs bwd_args{x_any, w_any, y_any, strides, dilates, pad};
  try {
    using Fwd = dnnl::convolution_forward;
    const Fwd::desc fwd_desc =
        bias && op == Op::forward
            ? Fwd::desc(training, direct, x_any, w_any, bias_desc(g), y_any, strides, dilates, pad,
                        pad)
            : Fwd::desc(training, direct, x_any, w_any, y_any, strides, dilates, pad, pad);
    const Fwd::primitive_desc fwd(fwd_desc, attr, cpu_engine());
    if (is_reference(fwd)) return nullptr;
    switch (op) {
      case Op::forward:
        plan->conv = Fwd(fwd);
        plan->scratchpad = fwd.scratchpad_desc();
        plan->a = layout_of(x_plain, fwd.src_desc());
        plan->b = layout_of(w_plain, fwd.weights_desc());
        plan->out = layout_of(y_plain, fwd.dst_desc());
        break;
      case Op::backward_input: {
        const auto pd = backward_plan<dnnl::convolution_backward_data>(*plan, bwd_args, attr, fwd);
        if (!pd) return nullptr;
        plan->a = layout_of(y_plain, pd->diff_dst_desc());
        plan->b = layout_of(w_plain, pd->weights_desc());
        plan->out = layout_of(x_plain, pd->diff_src_desc());
        break;
      }
      case Op::backward_weight: {
        const auto pd =
            backward_plan<dnnl::convolution_backward_weights>(*plan, bwd_args, attr, fwd);
        if (!pd) return nullptr;
        plan->a = layout_of(x_plain, pd->src_desc());
        plan->b = layout_of(y_plain, pd->diff_dst_desc());
        plan->out = layout_of(w_plain, pd->diff_weights_desc());
        break;
      }
    }
  } catch (const dnnl::error&) {  // unimplemented for these sizes
    return nullptr;
  }
  return plan;
}

/// The plan of (op, g, chunks of mb samples, bias), made at its first use.
std::shared_ptr<const Plan> plan_for(Op op, const ConvGeometry& g, std::size_t mb, bool bias) {
  using Key = std::array<std::size_t, 16>;
  static std::mutex mutex;
  static auto* plans = new std::map<Key, std::shared_ptr<const Plan>>;  // null: none
  const Key key{static_cast<std::size_t>(op),
                mb,
                bias ? 1u : 0u,
                g.in_channels,
                g.in_h,
                g.in_w,
                g.out_channels,
                g.kernel_h,
                g.kernel_w,
                g.stride_h,
                g.stride_w,
                g.pad_h,
                g.pad_w,
                g.dilation_h,
                g.dilation_w,
                g.groups};
  std::lock_guard<std::mutex> lock(mutex);
  if (auto it = plans->find(key); it != plans->end()) return it->second;
  if (plans->size() >= kMaxPlans) plans->clear();  // plans in use live on in their callers
  return plans->emplace(key, make_plan(op, g, mb, bias)).first->second;
}

/// The batch as `count` chunks of `size` samples, the last of `last` (1 <= last <= size).
struct Chunks {
  std::size_t count, size, last;
};

Chunks chunks_of(const ConvGeometry& g) {
  const std::size_t per_sample = std::max<std::size_t>(
      1, (g.in_channels * g.in_plane() + g.out_channels * g.out_plane()) * sizeof(float));
  const std::size_t most = std::clamp<std::size_t>(kChunkBytes / per_sample, 1, g.batch);
  const std::size_t count = (g.batch + most - 1) / most;
  const std::size_t size = (g.batch + count - 1) / count;  // as even as the batch allows
  const std::size_t chunks = (g.batch + size - 1) / size;
  return {chunks, size, g.batch - (chunks - 1) * size};
}

/// A chunk's plans: the first for every chunk but the last, the second for the last.
struct Plans {
  Chunks chunks;
  std::shared_ptr<const Plan> full, last;
  const Plan& of(std::size_t chunk) const { return chunk + 1 == chunks.count ? *last : *full; }
  explicit operator bool() const { return full && last; }
};

Plans plans_for(Op op, const ConvGeometry& g, bool bias) {
  if (g.batch == 0 || g.in_channels == 0 || g.out_channels == 0) return {};
  Plans p;
  p.chunks = chunks_of(g);
  p.full = plan_for(op, g, p.chunks.size, bias);
  p.last = p.chunks.last == p.chunks.size ? p.full : plan_for(op, g, p.chunks.last, bias);
  return p;
}

memory wrap(const memory::desc& desc, const void* data) {
  return memory(desc, cpu_engine(), const_cast<void*>(data));  // oneDNN only reads inputs
}

/// The tensor at `data` (plain layout) in the layout `l` uses: itself, or reordered into `buf`.
memory to_used(const Layout& l, const void* data, Scratch& buf) {
  memory plain = wrap(l.plain, data);
  if (!l.reorders()) return plain;
  memory used = wrap(l.used, buf.get(l.used.get_size()));
  l.to_used.execute(thread_stream(), plain, used);
  return used;
}

/// Where the primitive writes a tensor the caller wants at `data` (plain layout): there, or in
/// `buf` until finish_output reorders it.
memory output_in(const Layout& l, void* data, Scratch& buf) {
  return l.reorders() ? wrap(l.used, buf.get(l.used.get_size())) : wrap(l.plain, data);
}
void finish_output(const Layout& l, memory& written, void* data) {
  if (!l.reorders()) return;
  memory plain = wrap(l.plain, data);
  l.to_plain.execute(thread_stream(), written, plain);
}

/// Runs plan.conv with `args` and the plan's scratchpad.
void execute(const Plan& plan, std::unordered_map<int, memory> args, Scratch& pad) {
  if (plan.scratchpad.get_size() != 0) {
    args.emplace(DNNL_ARG_SCRATCHPAD, wrap(plan.scratchpad, pad.get(plan.scratchpad.get_size())));
  }
  plan.conv.execute(thread_stream(), args);
  thread_stream().wait();
}

/// Runs task(chunk) for every chunk on the pool.
template <class Task>
void for_each_chunk_task(std::size_t chunks, Task&& task) {
  run_tasks(
      chunks,
      [](void* ctx, std::size_t c) {
        const SingleThreaded single;
        (*static_cast<std::remove_reference_t<Task>*>(ctx))(c);
      },
      &task);
}

/// The weights (plain at w) as the plan's `b` wants them: w itself, or reordered into `buf`.
const void* weights_for(const Plan& plan, const float* w, Scratch& buf) {
  if (!plan.b.reorders()) return w;
  memory used = to_used(plan.b, w, buf);
  return used.get_data_handle();
}

/// The weights as each chunk's plan wants them, reordered once by the calling thread.
struct ChunkWeights {
  const void* full;
  const void* last;
  ChunkWeights(const Plans& plans, const float* w) {
    ThreadScratch& caller = thread_scratch();
    full = weights_for(*plans.full, w, caller.weights);
    last = plans.last->b.used == plans.full->b.used
               ? full
               : weights_for(*plans.last, w, caller.weights_last);
  }
  const void* of(const Plans& plans, const Plan& plan) const {
    return &plan == plans.full.get() ? full : last;
  }
};

}  // namespace

bool dnnl_forward(const ConvGeometry& g, const float* x, const float* w, const float* b, float* y) {
  const SingleThreaded single;  // before any primitive is made
  const Plans plans = plans_for(Op::forward, g, b != nullptr);
  if (!plans) return false;
  const ChunkWeights weights(plans, w);
  const std::size_t x_sample = g.in_channels * g.in_plane();
  const std::size_t y_sample = g.out_channels * g.out_plane();
  const memory::desc b_desc = bias_desc(g);
  for_each_chunk_task(plans.chunks.count, [&](std::size_t c) {
    const Plan& plan = plans.of(c);
    ThreadScratch& s = thread_scratch();
    const std::size_t n0 = c * plans.chunks.size;
    float* yc = y + n0 * y_sample;
    memory out = output_in(plan.out, yc, s.out);
    std::unordered_map<int, memory> args{
        {DNNL_ARG_SRC, to_used(plan.a, x + n0 * x_sample, s.in)},
        {DNNL_ARG_WEIGHTS, wrap(plan.b.used, weights.of(plans, plan))},
        {DNNL_ARG_DST, out}};
    if (b != nullptr) args.emplace(DNNL_ARG_BIAS, wrap(b_desc, b));
    execute(plan, std::move(args), s.pad);
    finish_output(plan.out, out, yc);
  });
  return true;
}

bool dnnl_backward_input(const ConvGeometry& g, const float* gy, const float* w, float* dx) {
  const SingleThreaded single;  // before any primitive is made
  const Plans plans = plans_for(Op::backward_input, g, false);
  if (!plans) return false;
  const ChunkWeights weights(plans, w);
  const std::size_t x_sample = g.in_channels * g.in_plane();
  const std::size_t y_sample = g.out_channels * g.out_plane();
  for_each_chunk_task(plans.chunks.count, [&](std::size_t c) {
    const Plan& plan = plans.of(c);
    ThreadScratch& s = thread_scratch();
    const std::size_t n0 = c * plans.chunks.size;
    float* dxc = dx + n0 * x_sample;
    memory out = output_in(plan.out, dxc, s.out);
    execute(plan,
            {{DNNL_ARG_DIFF_DST, to_used(plan.a, gy + n0 * y_sample, s.in)},
             {DNNL_ARG_WEIGHTS, wrap(plan.b.used, weights.of(plans, plan))},
             {DNNL_ARG_DIFF_SRC, out}},
            s.pad);
    finish_output(plan.out, out, dxc);
  });
  return true;
}

bool dnnl_backward_weight(const ConvGeometry& g, const float* x, const float* gy, float* dw) {
  const SingleThreaded single;  // before any primitive is made
  const Plans plans = plans_for(Op::backward_weight, g, false);
  if (!plans) return false;
  // Chunk 0 writes dw itself, chunk c > 0 the partial c - 1; then dw += the partials in order.
  const std::size_t n = g.out_channels * g.group_rows();
  const std::size_t chunks = plans.chunks.count;
  auto* partials =
      static_cast<float*>(thread_scratch().partials.get((chunks - 1) * n * sizeof(float)));
  const std::size_t x_sample = g.in_channels * g.in_plane();
  const std::size_t y_sample = g.out_channels * g.out_plane();
  for_each_chunk_task(chunks, [&](std::size_t c) {
    const Plan& plan = plans.of(c);
    ThreadScratch& s = thread_scratch();
    const std::size_t n0 = c * plans.chunks.size;
    float* dwc = c == 0 ? dw : partials + (c - 1) * n;
    memory out = output_in(plan.out, dwc, s.out);
    execute(plan,
            {{DNNL_ARG_SRC, to_used(plan.a, x + n0 * x_sample, s.in)},
             {DNNL_ARG_DIFF_DST, to_used(plan.b, gy + n0 * y_sample, s.in2)},
             {DNNL_ARG_DIFF_WEIGHTS, out}},
            s.pad);
    finish_output(plan.out, out, dwc);
  });
  if (chunks > 1) {
    parallel_for(n, [&](std::size_t begin, std::size_t end) {
      for (std::size_t c = 0; c + 1 < chunks; ++c) {
        const float* p = partials + c * n;
        for (std::size_t i = begin; i < end; ++i) dw[i] += p[i];
      }
    });
  }
  return true;
}

}  // namespace xg::kernels::detail_conv
