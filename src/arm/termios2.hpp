// SPDX-License-Identifier: MIT
//
// Linux termios2 (BOTHER) access for line speeds that have no B-constant, such as 250000 and
// 128000. Kept in its own translation unit: <asm/termbits.h> and <termios.h> cannot be included
// together.
#pragma once

namespace rcls::arm::detail {

/// Sets any input and output speed on tty `fd` with TCSETS2/BOTHER. Returns 0 or the errno.
int set_termios2_speed(int fd, int baud_rate);

/// The output speed of tty `fd` from TCGETS2 (also answers on a pseudo-terminal's master side);
/// 0 when it cannot be read.
int get_termios2_speed(int fd);

}  // namespace rcls::arm::detail
