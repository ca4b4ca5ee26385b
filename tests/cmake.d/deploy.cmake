# Two `gemma3 serve` replicas behind a real nginx configured exactly as docs/DEPLOYMENT.md prints it
# (sticky routing by conversation, failover), driven by the official `openai` npm client. Needs
# nginx + libnginx-mod-http-js and tests/deploy/node_modules (tools/install_deps.sh installs them).
# "slow": it waits out nginx's 10 s fail_timeout, and is not worth repeating under ASan.
find_program(GEMMA3_DEPLOY_NODE NAMES node nodejs)
find_program(GEMMA3_NGINX nginx PATHS /usr/sbin /usr/local/sbin)
if(GEMMA3_DEPLOY_NODE AND GEMMA3_NGINX)
  add_test(NAME deploy_nginx
           COMMAND ${GEMMA3_DEPLOY_NODE} --test --test-reporter=spec ${CMAKE_SOURCE_DIR}/tests/deploy/deploy.test.mjs
           WORKING_DIRECTORY ${CMAKE_SOURCE_DIR}/tests/deploy)
  set_tests_properties(deploy_nginx PROPERTIES ENVIRONMENT "GEMMA3_BIN=$<TARGET_FILE:gemma3>;NGINX_BIN=${GEMMA3_NGINX}")
else()
  add_test(NAME deploy_nginx
           COMMAND sh -c "echo 'deploy_nginx needs node and nginx (tools/install_deps.sh installs them)' >&2; exit 1")
endif()
set_tests_properties(deploy_nginx PROPERTIES LABELS "deploy;e2e;slow" TIMEOUT 300)
