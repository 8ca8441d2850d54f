# SPDX-License-Identifier: MIT
# rcls_set_warnings(<target>): the project's warning set, -Werror under RCLS_WARNINGS_AS_ERRORS,
# sanitizers under RCLS_SANITIZE. Third-party headers come in through imported targets
# (SYSTEM include directories), so their warnings stay quiet.
function(rcls_set_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wconversion
                                           -Wno-sign-conversion)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    # GCC 12 reports -Wrestrict false positives on `"literal" + std::string` at -O2 (GCC bug 105329).
    target_compile_options(${target} PRIVATE -Wno-restrict)
  endif()
  if(RCLS_WARNINGS_AS_ERRORS)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
  if(RCLS_SANITIZE)
    target_compile_options(${target} PRIVATE -fsanitize=address,undefined -fno-omit-frame-pointer)
    target_link_options(${target} PRIVATE -fsanitize=address,undefined)
  endif()
endfunction()
