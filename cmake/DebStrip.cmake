# Run by cpack (CPACK_PRE_BUILD_SCRIPTS) on the staged files of the packages: every ELF file loses its
# .comment and .note sections, as dh_strip does. CPACK_STRIP_FILES strips with no arguments and leaves
# them (the compiler's version string, lintian's binary-has-unneeded-section).
file(GLOB_RECURSE staged LIST_DIRECTORIES false "${CPACK_TEMPORARY_INSTALL_DIRECTORY}/*")
foreach(file IN LISTS staged)
  if(IS_SYMLINK "${file}")
    continue()
  endif()
  file(READ "${file}" magic LIMIT 4 HEX)
  if(magic STREQUAL "7f454c46")  # \x7fELF
    execute_process(COMMAND "${CPACK_PIFIND_STRIP}" --remove-section=.comment --remove-section=.note "${file}"
                    COMMAND_ERROR_IS_FATAL ANY)
  endif()
endforeach()
