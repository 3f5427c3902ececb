{% macro pilot_ref(model_name) -%}
    {#- ref() without the database part, so that SQL stored in the warehouse (table macros)
        keeps working when the warehouse file is opened under another name. -#}
    {{ return(ref(model_name).include(database=False)) }}
{%- endmacro %}
