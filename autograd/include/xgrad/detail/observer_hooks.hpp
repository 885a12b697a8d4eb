// The observer hooks the hot path calls (see xgrad/tools/observer.hpp); only declarations, so that
// record_impl.hpp can include it before Tensor is complete.
#pragma once

#include <vector>

namespace xg {

template <class T>
class Tensor;
template <class T>
class InputSpan;
template <class T>
class TapeObserver;

namespace detail {
/// Number of observers installed on this thread, for any T: the hot path tests only this.
inline thread_local int observer_count = 0;
/// True while the engine runs backward rules on this thread: the operations they use are part
/// of backward, so observers hear of them through the backward events only.
inline thread_local bool in_backward = false;

template <class T>
const std::vector<TapeObserver<T>*>& observers();
template <class T>
void push_observer(TapeObserver<T>* observer);
template <class T>
void pop_observer(TapeObserver<T>* observer);

template <class T>
void notify_forward(const char* op, InputSpan<T> inputs, const Tensor<T>& result);
}  // namespace detail

}  // namespace xg
