// --self-test: checks of the histogram and the HTTP response parser (no network).
#pragma once

namespace certgate::bench {

int run_self_test();

}  // namespace certgate::bench
