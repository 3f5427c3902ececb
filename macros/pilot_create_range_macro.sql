{% macro pilot_create_range_macro(macro_name, metrics) -%}
    {#- SQL that stores `<schema>.<macro_name>(d_from, d_to)`: the metrics of `metrics`
        ('unit_metrics', 'outputs' or 'referrals') over one custom date range, period 'range'.
        Used as a post-hook of the reporting model with the same columns. -#}
    {{ return(adapter.dispatch('pilot_create_range_macro')(macro_name, metrics)) }}
{%- endmacro %}

{% macro default__pilot_create_range_macro(macro_name, metrics) -%}
    {#- Only DuckDB has table macros; elsewhere custom ranges need another route. -#}
    {{ log("pilot: " ~ macro_name ~ " not created: table macros need DuckDB, not " ~ target.type, info=True) }}
{%- endmacro %}

{% macro duckdb__pilot_create_range_macro(macro_name, metrics) -%}
    {%- set periods_sql -%}
        select
            'range' as period,
            cast(d_from as date) as period_start,
            cast(d_to as date) as period_end
    {%- endset -%}
    create or replace macro {{ this.schema }}.{{ macro_name }}(d_from, d_to) as table
    with periods as (

        {{ periods_sql }}

    ),

    range_metrics as (

        {{ pilot_metrics_sql(metrics, 'periods') }}

    )

    select * from range_metrics
{%- endmacro %}
