{% macro pilot_new_files_only(alias) -%}
    {#- In an incremental run of a fact table, only the rows of files it does not hold yet.
        A loaded file's raw rows never change (a new version of a ledger is a new file that
        supersedes the old), so a file's rows are added once; pilot_drop_unloaded_files takes
        out the rows of files no longer loaded. -#}
    {%- if is_incremental() %}
    where {{ alias }}.file_id not in (select distinct file_id from {{ this }})
    {%- endif %}
{%- endmacro %}


{% macro pilot_drop_unloaded_files() -%}
    {#- Pre-hook of a fact table built by file (pilot_new_files_only): before new rows are
        added, the rows of files superseded since the last build are removed. -#}
    {%- if is_incremental() -%}
    delete from {{ this }}
    where file_id not in (
        select file_id from {{ source('ledgers', 'files') }}
        where lower(trim(status)) = 'loaded'
    )
    {%- endif -%}
{%- endmacro %}
