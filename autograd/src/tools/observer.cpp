// The thread-local observer lists of observer.hpp.
#include "xgrad/tools/observer.hpp"

#include <algorithm>

#include "xgrad/detail/instantiate.hpp"

namespace xg::detail {

namespace {
template <class T>
std::vector<TapeObserver<T>*>& observer_list() {
  thread_local std::vector<TapeObserver<T>*> list;
  return list;
}
}  // namespace

template <class T>
const std::vector<TapeObserver<T>*>& observers() {
  return observer_list<T>();
}

template <class T>
void push_observer(TapeObserver<T>* observer) {
  observer_list<T>().push_back(observer);
  ++observer_count;
}

template <class T>
void pop_observer(TapeObserver<T>* observer) {
  auto& list = observer_list<T>();
  auto it = std::find(list.rbegin(), list.rend(), observer);
  if (it != list.rend()) {
    list.erase(std::next(it).base());
    --observer_count;
  }
}

template <class T>
void notify_forward(const char* op, InputSpan<T> inputs, const Tensor<T>& result) {
  if (in_backward) return;
  // Copy: an observer may install or remove observers while it runs.
  const auto list = observer_list<T>();
  for (auto* o : list) o->on_forward(op, inputs, result);
}

#define XG_INSTANTIATE(T)                                       \
  template const std::vector<TapeObserver<T>*>& observers<T>(); \
  template void push_observer<T>(TapeObserver<T>*);             \
  template void pop_observer<T>(TapeObserver<T>*);              \
  template void notify_forward<T>(const char*, InputSpan<T>, const Tensor<T>&);
XG_INSTANTIATE_FOR_FLOATS(XG_INSTANTIATE)

}  // namespace xg::detail
