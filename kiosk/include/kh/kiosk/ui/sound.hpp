#pragma once
// Generated sounds (no sound files): the counter's new-order tone and the board's "ready" chime.
// Samples are made by a pure function (tested); playing them goes through SDL audio, and a kiosk
// without an audio device (or SDL_AUDIODRIVER that cannot open) simply stays silent.

#include <cstdint>
#include <vector>

namespace kh::kiosk::ui {

struct note {
  double hz = 880;   ///< 0: silence
  int ms = 120;
};

/// Mono signed 16-bit samples for the notes at `rate` Hz, each with a 5 ms fade in and out (no
/// clicks), at `volume` (0 … 1).
std::vector<std::int16_t> make_tone(const std::vector<note>& notes, int rate = 44100, double volume = 0.35);

/// Two rising notes (counter: a new order).
std::vector<note> new_order_tone();
/// Three notes, a little longer (board: a number is ready).
std::vector<note> ready_chime();

/// An SDL audio output; play() queues samples and returns at once.
class sound {
 public:
  sound();  ///< opens the default output device; silent when there is none
  ~sound();
  sound(const sound&) = delete;
  sound& operator=(const sound&) = delete;
  bool available() const noexcept { return dev_ != 0; }
  void play(const std::vector<note>& notes);
  std::int64_t played() const noexcept { return played_; }  ///< sounds asked for (tests)

 private:
  std::uint32_t dev_ = 0;
  int rate_ = 44100;
  bool own_init_ = false;
  std::int64_t played_ = 0;
};

}  // namespace kh::kiosk::ui
