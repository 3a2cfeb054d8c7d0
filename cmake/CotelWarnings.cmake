# Warnings every build shows; -Werror only with COTEL_WERROR (CI sets it),
# so that a newer compiler's new warning does not break a user's build.
set(COTEL_WARNINGS -Wall -Wextra -Wno-missing-field-initializers -Wshadow
    -Wmissing-prototypes -Wstrict-prototypes -Wvla -Wpointer-arith)
if(COTEL_WERROR)
  list(APPEND COTEL_WARNINGS -Werror)
endif()
