# Runs PROGRAM ARGS, which must fail with a ThreadSanitizer data race report
# whose stack is in the buddy allocator (the negative control's missing
# shard lock). cmake -DPROGRAM=... -DARGS=a;b;c -P expect_tsan_race.cmake
execute_process(COMMAND ${PROGRAM} ${ARGS}
	RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
string(FIND "${err}" "WARNING: ThreadSanitizer: data race" race)
string(FIND "${err}" "src/buddy/" buddy)
if(rc EQUAL 0)
	message(FATAL_ERROR "negative control passed: the missing shard lock went unnoticed\n${out}")
endif()
if(race EQUAL -1 OR buddy EQUAL -1)
	message(FATAL_ERROR "negative control failed (exit ${rc}) without a TSan data race "
		"in src/buddy/:\n${err}")
endif()
string(SUBSTRING "${err}" ${race} 1500 report)
message(STATUS "negative control failed as it should (exit ${rc}):\n${report}")
