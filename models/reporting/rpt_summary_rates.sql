{#- Shares the summary states (on-time compliance, disputes resolved, settled on the spot,
    referred), defined once here: the model applies them to rpt_unit_metrics, and on DuckDB
    the table macro reporting.summary_rates_between(d_from, d_to) applies the same columns to
    reporting.unit_metrics_between for a custom range. -#}
{%- set rate_columns -%}
    period,
    unit_code,
    period_start,
    period_end,
    cast(notices_complied_on_time as double) / nullif(notices_issued, 0)
        as notice_compliance_rate,
    cast(disputes_resolved as double) / nullif(disputes_found, 0) as dispute_resolution_rate,
    cast(corrected_on_spot as double) / nullif(cases_found, 0) as on_spot_share,
    cast(referrals_made as double) / nullif(cases_found, 0) as referral_share
{%- endset -%}
{%- set range_macro -%}
    {% raw %}{% if target.type == 'duckdb' %}{% endraw %}
    create or replace macro {% raw %}{{ this.schema }}{% endraw %}.summary_rates_between(d_from, d_to)
    as table
    select {{ rate_columns }}
    from {% raw %}{{ this.schema }}{% endraw %}.unit_metrics_between(d_from, d_to)
    {% raw %}{% endif %}{% endraw %}
{%- endset -%}
{#- A view: a projection of rpt_unit_metrics, which a build would otherwise copy whole
    (700,000 rows at 2,000 units over five years) though one unit changed. -#}
{{ config(materialized='view', post_hook=range_macro) }}

with unit_metrics as (

    select * from {{ ref('rpt_unit_metrics') }}

),

rates as (

    select {{ rate_columns }}
    from unit_metrics

)

select * from rates
