// The progress line (sim/progress.*): ETA arithmetic, rendering, and a Progress drawn with an
// injected clock into a string stream.
#include <gtest/gtest.h>

#include <sstream>

#include "sim/progress.hpp"

namespace cimba::sim {
namespace {

TEST(Progress, EtaIsElapsedTimesRemainingOverDone) {
  // 3 of 12 done in 6 s: 2 s per unit, 9 units left -> 18 s.
  EXPECT_DOUBLE_EQ(*progress_eta_seconds(3, 12, 6.0), 18.0);
  EXPECT_DOUBLE_EQ(*progress_eta_seconds(12, 12, 6.0), 0.0);
  EXPECT_FALSE(progress_eta_seconds(0, 12, 6.0).has_value());  // no rate yet
  EXPECT_FALSE(progress_eta_seconds(3, 0, 6.0).has_value());   // unknown total
}

TEST(Progress, DurationsAreShortAndReadable) {
  EXPECT_EQ(format_duration(1.25), "1.2 s");
  EXPECT_EQ(format_duration(42.7), "42 s");
  EXPECT_EQ(format_duration(185.0), "3 min 05 s");
  EXPECT_EQ(format_duration(3725.0), "1 h 02 min");
  EXPECT_EQ(format_duration(-1.0), "0.0 s");
}

TEST(Progress, RendersBarCountPercentElapsedAndEta) {
  // 1 of 4 after 2.5 s: a quarter of a 20-wide bar, ETA 2.5 x 3 / 1 = 7.5 s.
  EXPECT_EQ(render_progress("hardware layers", 1, 4, 2.5, 20),
            "hardware layers [#####---------------] 1/4  25%  2.5 s, ETA 7.5 s");
  EXPECT_EQ(render_progress("hardware layers", 4, 4, 10.0, 20),
            "hardware layers [####################] 4/4 100%  10 s, done");
  EXPECT_EQ(render_progress("hardware layers", 0, 4, 0.5, 8),
            "hardware layers [--------] 0/4   0%  0.5 s");
  // Unknown total: elapsed only.
  EXPECT_EQ(render_progress("calibration (8 windows)", 0, 0, 3.14),
            "calibration (8 windows) ... 3.1 s");
}

TEST(Progress, DrawsWithAnInjectedClockAndEndsTheLine) {
  double now = 100.0;
  std::ostringstream out;
  {
    Progress p(
        &out, [&] { return now; }, /*redraw_s=*/0.0);  // no redraw thread
    p.start("layers", 2);
    now = 101.0;
    p.advance();
    EXPECT_EQ(p.line(), "layers [##########----------] 1/2  50%  1.0 s, ETA 1.0 s");
    now = 102.0;
    p.finish();
  }
  const std::string text = out.str();
  EXPECT_EQ(text.rfind("\rlayers [--------------------] 0/2   0%  0.0 s", 0), 0u) << text;
  EXPECT_NE(text.find("\rlayers [##########----------] 1/2  50%  1.0 s, ETA 1.0 s"),
            std::string::npos);
  // The last line is padded with blanks over the longer line before it, then ended.
  std::string last = text.substr(text.rfind('\r') + 1);
  ASSERT_EQ(last.back(), '\n');
  last.pop_back();
  EXPECT_EQ(last.find_last_not_of(' ') + 1,
            std::string("layers [####################] 2/2 100%  2.0 s, done").size());
  EXPECT_EQ(last.rfind("layers [####################] 2/2 100%  2.0 s, done", 0), 0u) << text;
  EXPECT_EQ(last.size(),
            std::string("layers [##########----------] 1/2  50%  1.0 s, ETA 1.0 s").size());
}

TEST(Progress, WithoutAStreamNothingIsDrawn) {
  Progress p(nullptr);
  p.start("x", 3);
  p.advance();
  p.finish();  // no crash, no output anywhere
  EXPECT_FALSE(progress_enabled(/*quiet=*/true));
}

}  // namespace
}  // namespace cimba::sim
