#!/bin/bash
# devstack plugin for trove-mr: installs the control plane, registers the
# `database` service in Keystone, builds both databases and starts the API,
# taskmanager and conductor.

function install_trove_mr {
    setup_develop $TROVE_MR_DIR
}

function create_trove_mr_accounts {
    create_service_user "$TROVE_MR_SERVICE_USER" "admin"
    get_or_create_service "trove-mr" "database" "Multi-region DBaaS"
    for region in $TROVE_MR_REGIONS; do
        get_or_create_endpoint "database" "$region" \
            "$SERVICE_PROTOCOL://$SERVICE_HOST:$TROVE_MR_SERVICE_PORT/v1.0/\$(project_id)s"
    done
}

function configure_trove_mr {
    sudo install -d -o $STACK_USER $TROVE_MR_CONF_DIR
    rm -f $TROVE_MR_CONF
    iniset $TROVE_MR_CONF DEFAULT region_name "$REGION_NAME"
    iniset $TROVE_MR_CONF DEFAULT transport_url "$(get_transport_url)"
    iniset $TROVE_MR_CONF DEFAULT taskmanager_rpc_encr_key "$(openssl rand -hex 16)"
    iniset $TROVE_MR_CONF DEFAULT inst_rpc_key_encr_key "$(openssl rand -hex 16)"
    iniset $TROVE_MR_CONF DEFAULT management_networks "${TROVE_MR_MGMT_NETWORK_ID:-}"
    iniset $TROVE_MR_CONF database connection "$(database_connection_url trove_mr)"
    iniset $TROVE_MR_CONF api_database connection "$(database_connection_url trove_mr_api)"
    iniset $TROVE_MR_CONF api_database mapping_encr_key "$(openssl rand -hex 16)"
    iniset $TROVE_MR_CONF api bind_port $TROVE_MR_SERVICE_PORT
    iniset $TROVE_MR_CONF service_credentials auth_url "$KEYSTONE_SERVICE_URI/v3"
    iniset $TROVE_MR_CONF service_credentials username "$TROVE_MR_SERVICE_USER"
    iniset $TROVE_MR_CONF service_credentials password "$SERVICE_PASSWORD"
    iniset $TROVE_MR_CONF service_credentials project_name "$SERVICE_PROJECT_NAME"
    iniset $TROVE_MR_CONF service_credentials region_name "$REGION_NAME"
    configure_keystone_authtoken_middleware $TROVE_MR_CONF "$TROVE_MR_SERVICE_USER"
}

function init_trove_mr {
    recreate_database trove_mr
    recreate_database trove_mr_api
    trove-mr-manage --config-file $TROVE_MR_CONF db sync
    trove-mr-manage --config-file $TROVE_MR_CONF datastore_update redis ""
    trove-mr-manage --config-file $TROVE_MR_CONF datastore_version_update \
        redis $TROVE_MR_DATASTORE_VERSION redis $TROVE_MR_IMAGE_NAME \
        --image-tags trove,redis --active --default
    trove-mr-manage --config-file $TROVE_MR_CONF datastore_update redis \
        $TROVE_MR_DATASTORE_VERSION
    trove-mr-manage --config-file $TROVE_MR_CONF \
        db_load_datastore_config_parameters redis $TROVE_MR_DATASTORE_VERSION
}

# Optional: build the guest image with guest-image/ and upload the same
# bytes to every region (the cross-region checksum check depends on it).
function upload_trove_mr_guest_image {
    local image=$TROVE_MR_GUEST_IMAGE_FILE
    if [[ -z "$image" ]]; then
        image=$DATA_DIR/trove-mr/$TROVE_MR_IMAGE_NAME.qcow2
        mkdir -p $DATA_DIR/trove-mr
        $TROVE_MR_DIR/tools/build-guest-image.sh ${image%.qcow2}
    fi
    local region
    for region in $TROVE_MR_REGIONS; do
        openstack --os-cloud devstack-admin --os-region-name "$region" \
            image create "$TROVE_MR_IMAGE_NAME" --disk-format qcow2 \
            --container-format bare --file "$image" \
            --tag trove --tag redis --private \
            --project "$SERVICE_PROJECT_NAME"
    done
}

# tempest (trove-tempest-plugin) options for the Redis datastore.
function configure_trove_mr_tempest {
    iniset $TEMPEST_CONFIG service_available trove True
    iniset $TEMPEST_CONFIG database catalog_type database
    iniset $TEMPEST_CONFIG database enabled_datastores redis
    iniset $TEMPEST_CONFIG database default_datastore_versions \
        "redis:$TROVE_MR_DATASTORE_VERSION"
    iniset $TEMPEST_CONFIG database db_flavor_ref "$TROVE_MR_FLAVOR_ID"
    iniset $TEMPEST_CONFIG database db_current_version v1.0
}

# Everything the plugin made on this host: configuration, databases,
# the built guest image, logs.
function cleanup_trove_mr {
    sudo rm -rf $TROVE_MR_CONF_DIR $DATA_DIR/trove-mr
    local db
    for db in trove_mr trove_mr_api; do
        if is_service_enabled mysql; then
            mysql -u"$DATABASE_USER" -p"$DATABASE_PASSWORD" \
                -h"$MYSQL_HOST" -e "DROP DATABASE IF EXISTS $db;" || true
        elif is_service_enabled postgresql; then
            sudo -u root psql -h"$DATABASE_HOST" -U"$DATABASE_USER" \
                -c "DROP DATABASE IF EXISTS $db;" postgres || true
        fi
    done
}

function start_trove_mr {
    run_process trove-mr-api "$TROVE_MR_BIN_DIR/trove-mr-api --config-file $TROVE_MR_CONF"
    run_process trove-mr-tmgr "$TROVE_MR_BIN_DIR/trove-mr-taskmanager --config-file $TROVE_MR_CONF"
    run_process trove-mr-cond "$TROVE_MR_BIN_DIR/trove-mr-conductor --config-file $TROVE_MR_CONF"
}

function stop_trove_mr {
    for svc in trove-mr-api trove-mr-tmgr trove-mr-cond; do
        stop_process $svc
    done
}

TROVE_MR_BIN_DIR=$(get_python_exec_prefix)

if is_service_enabled trove-mr-api; then
    if [[ "$1" == "stack" && "$2" == "install" ]]; then
        install_trove_mr
    elif [[ "$1" == "stack" && "$2" == "post-config" ]]; then
        create_trove_mr_accounts
        configure_trove_mr
    elif [[ "$1" == "stack" && "$2" == "extra" ]]; then
        init_trove_mr
        if [[ "$TROVE_MR_BUILD_GUEST_IMAGE" == "True" ||
              -n "$TROVE_MR_GUEST_IMAGE_FILE" ]]; then
            upload_trove_mr_guest_image
        fi
        start_trove_mr
    elif [[ "$1" == "stack" && "$2" == "test-config" ]]; then
        if is_service_enabled tempest; then
            configure_trove_mr_tempest
        fi
    fi
    if [[ "$1" == "unstack" ]]; then
        stop_trove_mr
    fi
    if [[ "$1" == "clean" ]]; then
        cleanup_trove_mr
    fi
fi
